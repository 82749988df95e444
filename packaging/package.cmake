# Packaging: `cpack -G DEB` in a build directory makes tally_<version>_amd64.deb
# (stripped binary, man page, desktop entry, icon, systemd unit, /etc/default/tally)
# and tally-dbgsym_<version>_amd64.ddeb with the debug symbols.
set(TALLY_MAINTAINER "Tally maintainers <maintainers@users.noreply.r-seed-5e9b11bc.example>"
    CACHE STRING "Maintainer field of the Debian package: 'Name <address>'")

install(FILES packaging/desktop/tally.desktop DESTINATION share/applications)
install(FILES resources/tally.png DESTINATION share/icons/hicolor/64x64/apps)
install(FILES packaging/systemd/tally.service DESTINATION lib/systemd/system)
install(FILES packaging/debian/tally.default DESTINATION /etc/default RENAME tally)
install(FILES packaging/debian/copyright DESTINATION share/doc/tally)

# Debian wants compressed, reproducible (gzip -n) changelog and man page.
find_program(GZIP_PROGRAM gzip REQUIRED)
# A native package (no Debian revision): its changelog is changelog.gz.
configure_file(packaging/debian/changelog.in ${CMAKE_BINARY_DIR}/packaging/changelog @ONLY)
add_custom_command(
    OUTPUT ${CMAKE_BINARY_DIR}/packaging/changelog.gz
    COMMAND ${GZIP_PROGRAM} -9nfk ${CMAKE_BINARY_DIR}/packaging/changelog
    DEPENDS ${CMAKE_BINARY_DIR}/packaging/changelog)
set(package_docs ${CMAKE_BINARY_DIR}/packaging/changelog.gz)
install(FILES ${CMAKE_BINARY_DIR}/packaging/changelog.gz DESTINATION share/doc/tally)

# The man page is generated from `tally --help` and `--version`, so it lists every
# setting the binary has.
find_program(HELP2MAN_PROGRAM help2man)
if(HELP2MAN_PROGRAM)
    add_custom_command(
        OUTPUT ${CMAKE_BINARY_DIR}/packaging/tally.1.gz
        COMMAND ${CMAKE_COMMAND} -E env QT_QPA_PLATFORM=offscreen ASAN_OPTIONS=detect_leaks=0
                ${HELP2MAN_PROGRAM} --no-info --section 1
                --name "live-polling server with an operator console"
                --include ${CMAKE_SOURCE_DIR}/packaging/debian/tally.h2m
                --output ${CMAKE_BINARY_DIR}/packaging/tally.1 $<TARGET_FILE:tally>
        COMMAND ${GZIP_PROGRAM} -9nf ${CMAKE_BINARY_DIR}/packaging/tally.1
        DEPENDS tally ${CMAKE_SOURCE_DIR}/packaging/debian/tally.h2m)
    list(APPEND package_docs ${CMAKE_BINARY_DIR}/packaging/tally.1.gz)
    install(FILES ${CMAKE_BINARY_DIR}/packaging/tally.1.gz DESTINATION share/man/man1)
else()
    message(WARNING "help2man not found: the package will have no man page (packaging/deps.sh installs it)")
endif()
add_custom_target(package_docs ALL DEPENDS ${package_docs})

# cpack packages what is built; it does not build every test first (build, then cpack).
set(CMAKE_SKIP_INSTALL_ALL_DEPENDENCY ON)

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME tally)
set(CPACK_PACKAGE_VENDOR "Tally")
set(CPACK_PACKAGE_CONTACT "${TALLY_MAINTAINER}")
set(CPACK_DEBIAN_PACKAGE_MAINTAINER "${TALLY_MAINTAINER}")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "live-polling server with an operator console")
string(CONCAT CPACK_PACKAGE_DESCRIPTION
    "Tally runs live polls: a high-throughput voting server (REST and WebSocket\n"
    "on one port, sharded storage in embedded SQLite files or Redis, batched\n"
    "writes, exact cached reads) and an operator console on top of it. It exports\n"
    "Prometheus metrics, describes its API with OpenAPI and runs as a systemd\n"
    "service.")
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
# The embedded shards load Qt's SQLite plugin at run time, which shlibdeps cannot see.
set(CPACK_DEBIAN_PACKAGE_DEPENDS "libqt6sql6-sqlite")
# Qt's own catalogues translate standard buttons and dialogs in the console.
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "qt6-translations-l10n")
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
# Strips the binary in the .deb; its symbols go to the -dbgsym .ddeb (build with
# RelWithDebInfo, the default).
set(CPACK_DEBIAN_DEBUGINFO_PACKAGE ON)
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA ${CMAKE_SOURCE_DIR}/packaging/debian/conffiles)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
set(CPACK_WARN_ON_ABSOLUTE_INSTALL_DESTINATION OFF)
include(CPack)
