#include "pollplacement.h"

#include <QJsonDocument>

QByteArray PollPlacement::encodeFences(const QHash<QString, quint64> &fences)
{
    QJsonObject json;
    for (auto it = fences.cbegin(); it != fences.cend(); ++it)
        json.insert(it.key(), QString::number(it.value()));
    return QJsonDocument(json).toJson(QJsonDocument::Compact);
}

QHash<QString, quint64> PollPlacement::decodeFences(const QByteArray &json)
{
    QHash<QString, quint64> fences;
    const QJsonObject object = QJsonDocument::fromJson(json).object();
    for (auto it = object.constBegin(); it != object.constEnd(); ++it) {
        // Redis' cjson writes numbers; our own records write strings.
        const quint64 value =
            it->isString() ? it->toString().toULongLong() : quint64(it->toDouble());
        fences.insert(it.key(), value);
    }
    return fences;
}

PollPlacement PollPlacement::fromMeta(const QHash<QByteArray, QByteArray> &fields)
{
    PollPlacement placement;
    placement.state = QString::fromUtf8(fields.value("move_state"));
    placement.moveId = QString::fromUtf8(fields.value("move_id"));
    placement.to = QString::fromUtf8(fields.value("moved_to"));
    placement.from = QString::fromUtf8(fields.value("moved_from"));
    placement.fences = decodeFences(fields.value("move_fences"));
    return placement;
}

QJsonObject PollPlacement::toJson() const
{
    return {{QStringLiteral("state"), state},
            {QStringLiteral("move_id"), moveId},
            {QStringLiteral("to"), to},
            {QStringLiteral("from"), from},
            {QStringLiteral("fences"), QJsonDocument::fromJson(encodeFences(fences)).object()}};
}

PollPlacement PollPlacement::fromJson(const QJsonObject &json)
{
    PollPlacement placement;
    placement.state = json.value(QStringLiteral("state")).toString();
    placement.moveId = json.value(QStringLiteral("move_id")).toString();
    placement.to = json.value(QStringLiteral("to")).toString();
    placement.from = json.value(QStringLiteral("from")).toString();
    placement.fences = decodeFences(QJsonDocument(json.value(QStringLiteral("fences")).toObject())
                                        .toJson(QJsonDocument::Compact));
    return placement;
}
