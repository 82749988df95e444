#pragma once

#include <QImage>
#include <QString>

// A QR code of a text (a join URL), encoded with libqrencode and drawn as black
// modules on white with the standard four-module quiet zone.
class QrCode {
public:
    explicit QrCode(const QString &text);

    bool isValid() const { return m_size > 0; }
    QString text() const { return m_text; }
    // Modules per side, without the quiet zone.
    int moduleCount() const { return m_size; }
    // The code scaled by whole pixels per module to fit `maxSide` (quiet zone included).
    QImage image(int maxSide) const;

    static constexpr int QuietZone = 4;

private:
    QString m_text;
    int m_size = 0;
    QByteArray m_modules; // m_size * m_size bytes, 1 = dark
};
