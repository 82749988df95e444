#include "qrcode.h"

#include <QPainter>
#include <qrencode.h>

QrCode::QrCode(const QString &text) : m_text(text)
{
    const QByteArray utf8 = text.toUtf8();
    // Level M survives a little glare or a projector's blur; byte mode keeps any URL.
    QRcode *code = QRcode_encodeData(int(utf8.size()),
                                     reinterpret_cast<const unsigned char *>(utf8.constData()), 0,
                                     QR_ECLEVEL_M);
    if (!code)
        return;
    m_size = code->width;
    m_modules.resize(qsizetype(m_size) * m_size);
    for (qsizetype i = 0; i < m_modules.size(); ++i)
        m_modules[i] = char(code->data[i] & 1); // bit 0: dark module
    QRcode_free(code);
}

QImage QrCode::image(int maxSide) const
{
    if (!isValid())
        return {};
    const int modules = m_size + 2 * QuietZone;
    const int scale = qMax(1, maxSide / modules);
    QImage image(modules * scale, modules * scale, QImage::Format_RGB32);
    image.fill(Qt::white);
    QPainter painter(&image);
    for (int y = 0; y < m_size; ++y)
        for (int x = 0; x < m_size; ++x)
            if (m_modules.at(qsizetype(y) * m_size + x))
                painter.fillRect((x + QuietZone) * scale, (y + QuietZone) * scale, scale, scale,
                                 Qt::black);
    return image;
}
