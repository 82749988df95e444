#include "hashring.h"

#include <QCryptographicHash>
#include <QtEndian>
#include <algorithm>

HashRing::HashRing(int virtualNodes) : m_virtualNodes(std::max(1, virtualNodes)) {}

quint32 HashRing::hash(QByteArrayView bytes)
{
    const QByteArray digest = QCryptographicHash::hash(bytes, QCryptographicHash::Md5);
    return qFromBigEndian<quint32>(digest.constData());
}

void HashRing::addNode(const QString &name)
{
    if (m_nodes.contains(name))
        return;
    m_nodes.append(name);
    rebuild();
}

void HashRing::removeNode(const QString &name)
{
    if (m_nodes.removeAll(name) > 0)
        rebuild();
}

void HashRing::rebuild()
{
    m_points.clear();
    m_points.reserve(m_nodes.size() * m_virtualNodes);
    for (int n = 0; n < m_nodes.size(); ++n) {
        const QByteArray prefix = m_nodes[n].toUtf8() + '#';
        for (int i = 0; i < m_virtualNodes; ++i)
            m_points.append({hash(prefix + QByteArray::number(i)), n});
    }
    // Ties are broken by node name so the ring never depends on insertion order.
    std::sort(m_points.begin(), m_points.end(), [this](const Point &a, const Point &b) {
        if (a.position != b.position)
            return a.position < b.position;
        return m_nodes[a.node] < m_nodes[b.node];
    });
}

QString HashRing::nodeFor(QStringView key) const
{
    if (m_points.isEmpty())
        return {};
    const quint32 h = hash(key.toUtf8());
    auto it = std::lower_bound(m_points.cbegin(), m_points.cend(), h,
                               [](const Point &p, quint32 value) { return p.position < value; });
    if (it == m_points.cend())
        it = m_points.cbegin();
    return m_nodes[it->node];
}

double HashRing::share(const QString &name) const
{
    const int node = m_nodes.indexOf(name);
    if (node < 0 || m_points.isEmpty())
        return 0.0;
    if (m_points.size() == 1)
        return 1.0; // a lone point is its own predecessor and owns the whole circle
    // A point owns the arc from its predecessor (exclusive) up to itself.
    quint64 owned = 0;
    for (int i = 0; i < m_points.size(); ++i) {
        if (m_points[i].node != node)
            continue;
        const quint32 prev = i == 0 ? m_points.last().position : m_points[i - 1].position;
        owned += quint32(m_points[i].position - prev);
    }
    return double(owned) / 4294967296.0;
}
