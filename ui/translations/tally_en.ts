<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="en">
<context>
    <name>CreatePollDialog</name>
    <message numerus="yes">
        <source>%n poll(s)</source>
        <translation>
            <numerusform>%n poll</numerusform>
            <numerusform>%n polls</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>HealthCharts</name>
    <message numerus="yes">
        <source>%Ln vote(s)</source>
        <translation>
            <numerusform>%Ln vote</numerusform>
            <numerusform>%Ln votes</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>PollActions</name>
    <message numerus="yes">
        <source>its %Ln vote(s)</source>
        <translation>
            <numerusform>its %Ln vote</numerusform>
            <numerusform>its %Ln votes</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>its %Ln counted vote(s)</source>
        <translation>
            <numerusform>its %Ln counted vote</numerusform>
            <numerusform>its %Ln counted votes</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>its %Ln counted choice(s)</source>
        <translation>
            <numerusform>its %Ln counted choice</numerusform>
            <numerusform>its %Ln counted choices</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>ResultsChart</name>
    <message numerus="yes">
        <source>%1: %Ln vote(s)</source>
        <translation>
            <numerusform>%1: %Ln vote</numerusform>
            <numerusform>%1: %Ln votes</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>ResultsPanel</name>
    <message numerus="yes">
        <source>Total: %Ln vote(s)</source>
        <translation>
            <numerusform>Total: %Ln vote</numerusform>
            <numerusform>Total: %Ln votes</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>Total: %Ln choice(s)</source>
        <translation>
            <numerusform>Total: %Ln choice</numerusform>
            <numerusform>Total: %Ln choices</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%Ln voter(s)</source>
        <translation>
            <numerusform>%Ln voter</numerusform>
            <numerusform>%Ln voters</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>ShardView</name>
    <message numerus="yes">
        <source>%1, %Ln batch(es) queued</source>
        <translation>
            <numerusform>%1, %Ln batch queued</numerusform>
            <numerusform>%1, %Ln batches queued</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%1, %Ln failover(s)</source>
        <translation>
            <numerusform>%1, %Ln failover</numerusform>
            <numerusform>%1, %Ln failovers</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>TimeSeriesChart</name>
    <message numerus="yes">
        <source>%1. Lowest %2, highest %3 in the last %Ln second(s).</source>
        <translation>
            <numerusform>%1. Lowest %2, highest %3 in the last second.</numerusform>
            <numerusform>%1. Lowest %2, highest %3 in the last %Ln seconds.</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>VoteBurst</name>
    <message numerus="yes">
        <source>The server asked to slow down; resending in %n s.</source>
        <translation>
            <numerusform>The server asked to slow down; resending in %n s.</numerusform>
            <numerusform>The server asked to slow down; resending in %n s.</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>VoteCaster</name>
    <message numerus="yes">
        <source>Vote for %1 (%2) accepted — %Ln vote(s) from this console.</source>
        <translation>
            <numerusform>Vote for %1 (%2) accepted — %Ln vote from this console.</numerusform>
            <numerusform>Vote for %1 (%2) accepted — %Ln votes from this console.</numerusform>
        </translation>
    </message>
</context>
</TS>
