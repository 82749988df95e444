#include "appearance.h"

#include <QAction>
#include <QActionGroup>
#include <QApplication>
#include <QCoreApplication>
#include <QMenu>
#include <QPointer>
#include <QSettings>
#include <QStyle>
#include <QStyleFactory>

namespace Appearance {

namespace {
struct SystemLook {
    bool saved = false;
    QString styleName;
    QPalette palette;
};

SystemLook &systemLook()
{
    static SystemLook look;
    return look;
}

QPalette build(const QColor &window, const QColor &base, const QColor &alternate,
               const QColor &text, const QColor &button, const QColor &highlight,
               const QColor &highlightedText, const QColor &disabledText, const QColor &link)
{
    QPalette palette;
    palette.setColor(QPalette::Window, window);
    palette.setColor(QPalette::WindowText, text);
    palette.setColor(QPalette::Base, base);
    palette.setColor(QPalette::AlternateBase, alternate);
    palette.setColor(QPalette::ToolTipBase, base);
    palette.setColor(QPalette::ToolTipText, text);
    palette.setColor(QPalette::PlaceholderText, disabledText);
    palette.setColor(QPalette::Text, text);
    palette.setColor(QPalette::Button, button);
    palette.setColor(QPalette::ButtonText, text);
    palette.setColor(QPalette::BrightText, Qt::red);
    palette.setColor(QPalette::Link, link);
    palette.setColor(QPalette::Highlight, highlight);
    palette.setColor(QPalette::HighlightedText, highlightedText);
    palette.setColor(QPalette::Light, button.lighter(150));
    palette.setColor(QPalette::Midlight, button.lighter(125));
    palette.setColor(QPalette::Mid, disabledText);
    palette.setColor(QPalette::Dark, button.darker(150));
    palette.setColor(QPalette::Shadow, Qt::black);
    for (QPalette::ColorRole role : {QPalette::WindowText, QPalette::Text, QPalette::ButtonText})
        palette.setColor(QPalette::Disabled, role, disabledText);
    return palette;
}
} // namespace

Scheme schemeFromName(const QString &name)
{
    if (name == u"light")
        return Scheme::Light;
    if (name == u"dark")
        return Scheme::Dark;
    if (name == u"high-contrast")
        return Scheme::HighContrast;
    return Scheme::System;
}

QString schemeName(Scheme scheme)
{
    switch (scheme) {
    case Scheme::Light:
        return QStringLiteral("light");
    case Scheme::Dark:
        return QStringLiteral("dark");
    case Scheme::HighContrast:
        return QStringLiteral("high-contrast");
    case Scheme::System:
        break;
    }
    return QStringLiteral("system");
}

QPalette palette(Scheme scheme)
{
    switch (scheme) {
    case Scheme::Dark:
        return build(QColor(0x2b, 0x2b, 0x2e), QColor(0x1e, 0x1e, 0x21), QColor(0x26, 0x26, 0x2a),
                     QColor(0xe8, 0xe8, 0xe8), QColor(0x3a, 0x3a, 0x3e), QColor(0x3d, 0x8e, 0xd6),
                     Qt::white, QColor(0x8a, 0x8a, 0x8e), QColor(0x6c, 0xb4, 0xf0));
    case Scheme::HighContrast:
        return build(Qt::black, Qt::black, QColor(0x1a, 0x1a, 0x1a), Qt::white, Qt::black,
                     QColor(0x00, 0xe0, 0xff), Qt::black, QColor(0xb0, 0xb0, 0xb0),
                     QColor(0xff, 0xff, 0x00));
    case Scheme::Light:
    case Scheme::System:
        break;
    }
    return build(QColor(0xef, 0xef, 0xef), Qt::white, QColor(0xf5, 0xf5, 0xf5), Qt::black,
                 QColor(0xe4, 0xe4, 0xe4), QColor(0x30, 0x8c, 0xc6), Qt::white,
                 QColor(0x80, 0x80, 0x80), QColor(0x00, 0x5a, 0xb4));
}

void apply(Scheme scheme)
{
    SystemLook &look = systemLook();
    if (!look.saved) {
        look.saved = true;
        look.styleName = QApplication::style()->name();
        look.palette = QApplication::palette();
    }
    if (scheme == Scheme::System) {
        if (QApplication::style()->name() != look.styleName)
            QApplication::setStyle(QStyleFactory::create(look.styleName));
        QApplication::setPalette(look.palette);
        return;
    }
    if (QApplication::style()->name().compare(QStringLiteral("fusion"), Qt::CaseInsensitive) != 0)
        QApplication::setStyle(QStyleFactory::create(QStringLiteral("Fusion")));
    QApplication::setPalette(palette(scheme));
}

void addColourMenu(QMenu *view, QObject *owner)
{
    QMenu *colours = view->addMenu(QCoreApplication::translate("Appearance", "&Colours"));
    auto *group = new QActionGroup(owner);
    const Scheme current =
        schemeFromName(QSettings().value(QStringLiteral("view/colours")).toString());
    const struct {
        QString text;
        Scheme scheme;
    } schemes[] = {
        {QCoreApplication::translate("Appearance", "&System"), Scheme::System},
        {QCoreApplication::translate("Appearance", "&Light"), Scheme::Light},
        {QCoreApplication::translate("Appearance", "&Dark"), Scheme::Dark},
        {QCoreApplication::translate("Appearance", "&High contrast"), Scheme::HighContrast}};
    for (const auto &entry : schemes) {
        QAction *action = colours->addAction(entry.text);
        action->setObjectName(QStringLiteral("colours-") + schemeName(entry.scheme));
        action->setCheckable(true);
        action->setChecked(entry.scheme == current);
        group->addAction(action);
        const Scheme scheme = entry.scheme;
        QObject::connect(action, &QAction::triggered, owner, [scheme] {
            apply(scheme);
            QSettings().setValue(QStringLiteral("view/colours"), schemeName(scheme));
        });
    }
    if (current != Scheme::System)
        apply(current);
}

} // namespace Appearance
