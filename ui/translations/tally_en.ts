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
    <name>VoteBurst</name>
    <message numerus="yes">
        <source>The server asked to slow down; resending in %n s.</source>
        <translation>
            <numerusform>The server asked to slow down; resending in %n s.</numerusform>
            <numerusform>The server asked to slow down; resending in %n s.</numerusform>
        </translation>
    </message>
</context>
</TS>
