// The Debian package as an administrator gets it: `cpack -G DEB` in the build
// directory, unpacked with dpkg-deb -x into a scratch root; its binary answers
// --version and --check-config, the binary is stripped (symbols in the -dbgsym
// package), /etc/default/tally is a conffile naming every environment twin, lintian
// reports no error, and systemd-analyze accepts the unit.
#include "tallyprocess.h"

#include <QDir>
#include <QDirIterator>
#include <QProcess>
#include <QRegularExpression>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>

namespace {

struct Run {
    int exitCode = -1;
    QString out; // stdout and stderr together
};

Run run(const QString &program, const QStringList &arguments, const QString &directory = {},
        int timeoutMs = 180000)
{
    QProcess process;
    process.setProcessChannelMode(QProcess::MergedChannels);
    if (!directory.isEmpty())
        process.setWorkingDirectory(directory);
    process.start(program, arguments);
    Run result;
    if (!process.waitForStarted(10000)) {
        result.out = process.errorString();
        return result;
    }
    if (!process.waitForFinished(timeoutMs)) {
        process.kill();
        process.waitForFinished(5000);
        result.out = QStringLiteral("timed out after %1 ms\n").arg(timeoutMs);
    }
    result.out += QString::fromUtf8(process.readAll());
    result.exitCode = process.exitStatus() == QProcess::NormalExit ? process.exitCode() : -1;
    return result;
}

QString tool(const char *name)
{
    return QStandardPaths::findExecutable(QString::fromLatin1(name));
}

} // namespace

class TestPackage : public QObject {
    Q_OBJECT
private slots:
    void initTestCase();
    void packageHoldsWhatAnAdministratorNeeds();
    void binaryRunsFromThePackage();
    void environmentFileNamesEveryTwin();
    void lintianFindsNoError();
    void systemdAcceptsTheUnit();

private:
    QTemporaryDir m_scratch;
    QString m_deb;
    QString m_ddeb;
    QString m_root;
};

void TestPackage::initTestCase()
{
    QVERIFY(m_scratch.isValid());
    for (const char *name : {"cpack", "dpkg-deb", "readelf"})
        QVERIFY2(!tool(name).isEmpty(), name);
    const QString out = m_scratch.filePath(QStringLiteral("out"));
    const Run cpack =
        run(tool("cpack"), {QStringLiteral("-G"), QStringLiteral("DEB"), QStringLiteral("-B"), out},
            QStringLiteral(TALLY_BUILD_DIR));
    QVERIFY2(cpack.exitCode == 0, qPrintable(cpack.out));
    const QString version = QStringLiteral(TALLY_PACKAGE_VERSION);
    m_deb = QDir(out).filePath(QStringLiteral("tally_%1_amd64.deb").arg(version));
    m_ddeb = QDir(out).filePath(QStringLiteral("tally-dbgsym_%1_amd64.ddeb").arg(version));
    QVERIFY2(QFile::exists(m_deb), qPrintable(cpack.out));
    QVERIFY2(QFile::exists(m_ddeb), qPrintable(cpack.out));
    m_root = m_scratch.filePath(QStringLiteral("root"));
    const Run extract = run(tool("dpkg-deb"), {QStringLiteral("-x"), m_deb, m_root});
    QVERIFY2(extract.exitCode == 0, qPrintable(extract.out));
}

void TestPackage::packageHoldsWhatAnAdministratorNeeds()
{
    for (const char *path :
         {"usr/bin/tally", "usr/share/man/man1/tally.1.gz", "etc/default/tally",
          "usr/lib/systemd/system/tally.service", "usr/share/doc/tally/copyright",
          "usr/share/doc/tally/changelog.gz", "usr/share/applications/tally.desktop"})
        QVERIFY2(QFile::exists(QDir(m_root).filePath(QLatin1String(path))), path);

    const Run control = run(tool("dpkg-deb"), {QStringLiteral("-f"), m_deb});
    QVERIFY2(control.exitCode == 0, qPrintable(control.out));
    const QRegularExpression maintainer(
        QStringLiteral("^Maintainer: [^<\\n]+ <[^@>\\s]+@[^>\\s]+>$"),
        QRegularExpression::MultilineOption);
    QVERIFY2(maintainer.match(control.out).hasMatch(), qPrintable(control.out));
    QVERIFY2(!control.out.contains(QStringLiteral(".invalid>")), qPrintable(control.out));
    // The long description: lines of the summary's paragraph, no list separators.
    QVERIFY2(control.out.contains(QStringLiteral("\n Tally runs live polls: ")) &&
                 !control.out.contains(u';'),
             qPrintable(control.out));

    const QString controlDir = m_scratch.filePath(QStringLiteral("control"));
    const Run info = run(tool("dpkg-deb"), {QStringLiteral("-e"), m_deb, controlDir});
    QVERIFY2(info.exitCode == 0, qPrintable(info.out));
    QFile conffiles(QDir(controlDir).filePath(QStringLiteral("conffiles")));
    QVERIFY(conffiles.open(QIODevice::ReadOnly));
    QCOMPARE(conffiles.readAll().trimmed(), QByteArray("/etc/default/tally"));

    // Stripped: no DWARF in the package's binary; the debug file is in the .ddeb.
    const Run sections =
        run(tool("readelf"),
            {QStringLiteral("-S"), QDir(m_root).filePath(QStringLiteral("usr/bin/tally"))});
    QVERIFY2(sections.exitCode == 0, qPrintable(sections.out));
    QVERIFY2(!sections.out.contains(QStringLiteral(".debug_info")),
             "usr/bin/tally carries debug info");
    QVERIFY(sections.out.contains(QStringLiteral(".gnu_debuglink")) ||
            sections.out.contains(QStringLiteral(".note.gnu.build-id")));
    const Run debugFiles = run(tool("dpkg-deb"), {QStringLiteral("-c"), m_ddeb});
    QVERIFY2(
        debugFiles.out.contains(QRegularExpression(QStringLiteral("usr/lib/debug/\\S+\\.debug"))),
        qPrintable(debugFiles.out));
}

void TestPackage::binaryRunsFromThePackage()
{
    const QString binary = QDir(m_root).filePath(QStringLiteral("usr/bin/tally"));
    const Run version = run(binary, {QStringLiteral("--version")});
    QCOMPARE(version.exitCode, 0);
    QCOMPARE(version.out, QStringLiteral("tally %1\n").arg(QStringLiteral(TALLY_PACKAGE_VERSION)));

    QProcess check;
    check.setProcessEnvironment(TallyProcess::cleanEnvironment());
    check.setProcessChannelMode(QProcess::MergedChannels);
    check.start(binary, {QStringLiteral("--check-config"), QStringLiteral("--headless"),
                         QStringLiteral("--data-dir"), m_scratch.filePath(QStringLiteral("data"))});
    QVERIFY(check.waitForFinished(30000));
    const QString out = QString::fromUtf8(check.readAll());
    QCOMPARE(check.exitCode(), 0);
    QVERIFY2(out.startsWith(QStringLiteral("Configuration is valid.")), qPrintable(out));

    // The settings file as the service reads it is valid too.
    QProcess withDefaults;
    withDefaults.setProcessChannelMode(QProcess::MergedChannels);
    withDefaults.start(
        QStringLiteral("/bin/sh"),
        {QStringLiteral("-c"), QStringLiteral("set -a; . \"$1\"; exec \"$2\" --check-config"),
         QStringLiteral("sh"), QDir(m_root).filePath(QStringLiteral("etc/default/tally")), binary});
    QVERIFY(withDefaults.waitForFinished(30000));
    QVERIFY2(withDefaults.exitCode() == 0, qPrintable(QString::fromUtf8(withDefaults.readAll())));
}

void TestPackage::environmentFileNamesEveryTwin()
{
    QFile file(QDir(m_root).filePath(QStringLiteral("etc/default/tally")));
    QVERIFY(file.open(QIODevice::ReadOnly));
    const QString defaults = QString::fromUtf8(file.readAll());
    const Run help =
        run(QDir(m_root).filePath(QStringLiteral("usr/bin/tally")), {QStringLiteral("--help")});
    QCOMPARE(help.exitCode, 0);
    // Printed before any QCoreApplication exists, yet the program is named (the man
    // page's synopsis comes from this line).
    QVERIFY2(help.out.startsWith(QStringLiteral("Usage: tally [options]")),
             qPrintable(help.out.left(120)));
    const QRegularExpression twin(QStringLiteral("\\bTALLY_[A-Z_]+\\b"));
    QStringList names;
    for (const QRegularExpressionMatch &match : twin.globalMatch(help.out))
        names.append(match.captured());
    names.removeDuplicates();
    QVERIFY(names.size() > 30);
    for (const QString &name : std::as_const(names))
        QVERIFY2(defaults.contains(name),
                 qPrintable(name + QStringLiteral(" is not in /etc/default/tally")));
    // Everything is commented out: the defaults of the binary apply until changed.
    for (const QString &line : defaults.split(u'\n'))
        QVERIFY2(line.isEmpty() || line.startsWith(u'#'), qPrintable(line));
}

void TestPackage::lintianFindsNoError()
{
    const QString lintian = tool("lintian");
    QVERIFY2(!lintian.isEmpty(), "lintian not found: install it (packaging/deps.sh)");
    const Run result =
        run(lintian, {QStringLiteral("--tag-display-limit"), QStringLiteral("0"), m_deb});
    const QStringList errors =
        result.out.split(u'\n').filter(QRegularExpression(QStringLiteral("^E: ")));
    QVERIFY2(errors.isEmpty(), qPrintable(result.out));
    // Exit 2 means lintian itself failed; 1 means tags at the failure level (errors).
    QVERIFY2(result.exitCode == 0, qPrintable(result.out));
}

void TestPackage::systemdAcceptsTheUnit()
{
    const QString analyze = tool("systemd-analyze");
    if (analyze.isEmpty())
        QSKIP("systemd-analyze is not installed (no systemd on this machine): the unit is not "
              "verified");
    QFile packaged(QDir(m_root).filePath(QStringLiteral("usr/lib/systemd/system/tally.service")));
    QVERIFY(packaged.open(QIODevice::ReadOnly));
    QString unit = QString::fromUtf8(packaged.readAll());
    QVERIFY(unit.contains(QStringLiteral("ExecStart=/usr/bin/tally ")));
    QVERIFY(unit.contains(QStringLiteral("EnvironmentFile=-/etc/default/tally")));
    // The package is not installed on this machine: verify checks that ExecStart's
    // program exists, so the copy points at the unpacked binary (the only change).
    unit.replace(QStringLiteral("ExecStart=/usr/bin/tally "),
                 QStringLiteral("ExecStart=") +
                     QDir(m_root).filePath(QStringLiteral("usr/bin/tally ")));
    QFile copy(m_scratch.filePath(QStringLiteral("tally.service")));
    QVERIFY(copy.open(QIODevice::WriteOnly));
    copy.write(unit.toUtf8());
    copy.close();
    // --man=no: the man page is in the package, not installed on this machine.
    const Run result =
        run(analyze, {QStringLiteral("verify"), QStringLiteral("--man=no"), copy.fileName()});
    // verify exits 0 after some complaints (unknown keys, bad values): any line naming
    // the unit is one.
    QVERIFY2(result.exitCode == 0 && !result.out.contains(QStringLiteral("tally.service")),
             qPrintable(result.out));
}

QTEST_GUILESS_MAIN(TestPackage)
#include "tst_package.moc"
