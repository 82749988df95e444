#include "websocketframe.h"

namespace {
constexpr char FinText = char(0x81);
constexpr int Length16 = 126;
constexpr int Length64 = 127;
} // namespace

QByteArray WebSocketFrame::text(QByteArrayView payload)
{
    const quint64 size = quint64(payload.size());
    QByteArray frame;
    frame.reserve(payload.size() + 10);
    frame.append(FinText);
    if (size < Length16) {
        frame.append(char(size));
    } else if (size <= 0xffff) {
        frame.append(char(Length16));
        frame.append(char(size >> 8));
        frame.append(char(size & 0xff));
    } else {
        frame.append(char(Length64));
        for (int shift = 56; shift >= 0; shift -= 8)
            frame.append(char((size >> shift) & 0xff));
    }
    frame.append(payload);
    return frame;
}

QByteArrayView WebSocketFrame::payload(const QByteArray &frame)
{
    if (frame.size() < 2)
        return {};
    const int length = frame.at(1) & 0x7f;
    const qsizetype header = length == Length64 ? 10 : length == Length16 ? 4 : 2;
    return QByteArrayView(frame).sliced(std::min(header, frame.size()));
}
