#include "requestframer.h"

RequestFramer::RequestFramer(qsizetype maxHeaderBytes, RequestHead::BodyLimits bodyLimits)
    : m_maxHeaderBytes(maxHeaderBytes), m_bodyLimits(std::move(bodyLimits))
{
}

void RequestFramer::reset()
{
    m_state = State::Head;
    m_head.truncate(0);
    m_taken = 0;
    m_bodyRemaining = 0;
    m_parsed = RequestHead();
    m_refusal = RequestHead::Refusal();
}

qsizetype RequestFramer::feed(QByteArrayView bytes)
{
    qsizetype used = 0;
    if (m_state == State::Head) {
        // Blank lines between requests are skipped, as Qt does.
        if (m_head.isEmpty()) {
            while (used < bytes.size() && (bytes[used] == '\r' || bytes[used] == '\n'))
                ++used;
        }
        const qsizetype scanFrom = qMax<qsizetype>(0, m_head.size() - 2);
        const qsizetype take = qMin(bytes.size() - used, headRoom());
        m_head.append(bytes.data() + used, take);
        // The head ends at the first empty line: "\n\n" or "\n\r\n".
        qsizetype end = -1;
        for (qsizetype i = m_head.indexOf('\n', scanFrom); i >= 0;
             i = m_head.indexOf('\n', i + 1)) {
            if (i + 1 < m_head.size() && m_head[i + 1] == '\n') {
                end = i + 2;
                break;
            }
            if (i + 2 < m_head.size() && m_head[i + 1] == '\r' && m_head[i + 2] == '\n') {
                end = i + 3;
                break;
            }
        }
        if (end < 0) {
            used += take;
            m_taken += used;
            if (headRoom() == 0) {
                m_state = State::Refused;
                m_refusal = RequestHead::refusal(
                    431, "Request Header Fields Too Large", QStringLiteral("headers_too_large"),
                    QStringLiteral("The request head exceeds %1 bytes.").arg(m_maxHeaderBytes));
            }
            return used;
        }
        const qsizetype extra = m_head.size() - end;
        used += take - extra;
        m_head.truncate(end);
        m_parsed = RequestHead::parse(m_head, m_bodyLimits);
        if (m_parsed.refusal()) {
            m_state = State::Refused;
            m_refusal = m_parsed.refusal();
            m_taken += used;
            return used;
        }
        m_bodyRemaining = m_parsed.contentLength();
        m_state = m_bodyRemaining > 0 ? State::Body : State::Complete;
    }
    if (m_state == State::Body) {
        const qsizetype body = qsizetype(qMin<qint64>(m_bodyRemaining, bytes.size() - used));
        m_bodyRemaining -= body;
        used += body;
        if (m_bodyRemaining == 0)
            m_state = State::Complete;
    }
    m_taken += used;
    return used;
}

qint64 RequestFramer::feedBody(qint64 available)
{
    if (m_state != State::Body)
        return 0;
    const qint64 body = qMin(m_bodyRemaining, available);
    m_bodyRemaining -= body;
    m_taken += body;
    if (m_bodyRemaining == 0)
        m_state = State::Complete;
    return body;
}
