#pragma once

#include "requesthead.h"

#include <QByteArray>
#include <QByteArrayView>

// Finds where one request ends in the bytes of a connection, whatever the TCP
// segmentation: the head is accumulated (up to the limit) and checked once complete,
// then Content-Length bytes of body are counted. It finds the end of a head the way
// Qt's HTTP server does (an empty line, CRLF or bare LF), so the request Qt reads is
// the one that was checked. Pure bytes in, verdict out: no sockets, so it can be fuzzed.
class RequestFramer {
public:
    enum class State { Head, Body, Complete, Refused };

    RequestFramer(qsizetype maxHeaderBytes, RequestHead::BodyLimits bodyLimits);

    // Takes the next bytes of the stream and returns how many of them belong to the
    // current request (the rest belong to the next one).
    qsizetype feed(QByteArrayView bytes);
    // In the Body state: `available` more bytes arrived; returns how many are body.
    qint64 feedBody(qint64 available);
    // Starts over for the next request (keeps the buffer's capacity).
    void reset();

    State state() const { return m_state; }
    // Bytes of the current request taken so far (leading blank lines included).
    qint64 taken() const { return m_taken; }
    // How many head bytes the framer can still take before answering 431.
    qsizetype headRoom() const { return m_maxHeaderBytes + 4 - m_head.size(); }
    qint64 bodyRemaining() const { return m_bodyRemaining; }
    // Valid from the Body state on.
    const RequestHead &head() const { return m_parsed; }
    // The refusal, in the Refused state.
    const RequestHead::Refusal &refusal() const { return m_refusal; }

private:
    qsizetype m_maxHeaderBytes;
    RequestHead::BodyLimits m_bodyLimits;
    State m_state = State::Head;
    QByteArray m_head;
    qint64 m_taken = 0;
    qint64 m_bodyRemaining = 0;
    RequestHead m_parsed;
    RequestHead::Refusal m_refusal;
};
