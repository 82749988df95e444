#pragma once

#include <QString>
#include <QStringList>
#include <QVector>

// Consistent-hash ring (ketama style): every node owns `virtualNodes` points on a
// 32-bit circle, each point the first four bytes of MD5("<name>#<i>"). A key belongs
// to the first point at or after MD5(key). Nodes are identified by name, never by
// position, so reordering the node list changes nothing.
class HashRing {
public:
    explicit HashRing(int virtualNodes = 100);

    void addNode(const QString &name);
    void removeNode(const QString &name);
    bool isEmpty() const { return m_points.isEmpty(); }
    int virtualNodes() const { return m_virtualNodes; }
    QStringList nodes() const { return m_nodes; }

    // Name of the node owning `key`; empty when the ring has no node.
    QString nodeFor(QStringView key) const;
    // Fraction of the 32-bit circle owned by `name` (0..1).
    double share(const QString &name) const;

    static quint32 hash(QByteArrayView bytes);

private:
    struct Point {
        quint32 position;
        int node;
    };
    void rebuild();

    int m_virtualNodes;
    QStringList m_nodes;
    QVector<Point> m_points;
};
