# The release (docs/release.md): `cmake --build build --target package` makes
# leakbridge-VERSION-linux-x64.tar.gz and leakbridge_VERSION_amd64.deb in the build directory,
# each with a .sha256 beside it. Each is made from its own install component: `archive` (also
# what `cmake --install build --prefix DIR` installs) and `deb` (the /usr layout).
set(LB_ARCHIVE_NAME leakbridge-${PROJECT_VERSION}-linux-x64)
set(LB_DEB_NAME leakbridge_${PROJECT_VERSION}_amd64)

set(LB_RELEASE_DOCS ${CMAKE_SOURCE_DIR}/README.md ${CMAKE_SOURCE_DIR}/CHANGELOG.md
    ${CMAKE_SOURCE_DIR}/LICENSE)
if(LB_SELF_CONTAINED)
  set(LB_NOTICES ${CMAKE_BINARY_DIR}/THIRD-PARTY-NOTICES.txt)
  set(notices "libunwind=${LB_LIBUNWIND_DIR}/install/COPYING|jansson=/usr/share/doc/libjansson-dev/copyright|yajl=/usr/share/doc/libyajl-dev/copyright")
  add_custom_command(
    OUTPUT ${LB_NOTICES}
    COMMAND ${CMAKE_COMMAND} -DOUT=${LB_NOTICES} -DNOTICES=${notices}
            -P ${CMAKE_SOURCE_DIR}/cmake/notices.cmake
    DEPENDS ${CMAKE_SOURCE_DIR}/cmake/notices.cmake
    VERBATIM
    COMMENT "Gathering the licences of the libraries linked in")
  # Ordered after libunwind by target, not by file: a file dependency would build it twice.
  add_custom_target(third_party_notices ALL DEPENDS ${LB_NOTICES})
  add_dependencies(third_party_notices libunwind_pic)
  list(APPEND LB_RELEASE_DOCS ${LB_NOTICES})
endif()
set(LB_RELEASE_HEADERS ${CMAKE_SOURCE_DIR}/include/leakbridge/leakbridge.h
    ${CMAKE_BINARY_DIR}/include/leakbridge/version.h)
set(LB_JARS ${LB_API_JAR} ${LB_JUNIT_JAR})
file(GLOB LB_DOC_PAGES CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/docs/*.md)
set(LB_DOC_PAGES ${LB_DOC_PAGES} ${CMAKE_SOURCE_DIR}/docs/report.schema.json)

# The archive: bin/ beside lib/, where `leakbridge attach` finds the agent.
install(TARGETS leakbridge-cli RUNTIME DESTINATION bin COMPONENT archive)
install(TARGETS leakbridge LIBRARY DESTINATION lib COMPONENT archive)
install(FILES ${LB_JARS} DESTINATION lib COMPONENT archive)
install(FILES ${LB_RELEASE_HEADERS} DESTINATION include/leakbridge COMPONENT archive)
install(FILES ${LB_MAVEN_FILES} DESTINATION maven COMPONENT archive)
install(PROGRAMS ${CMAKE_SOURCE_DIR}/scripts/maven-install.sh DESTINATION maven
        RENAME install.sh COMPONENT archive)
install(FILES ${LB_DOC_PAGES} DESTINATION docs COMPONENT archive)
install(FILES ${LB_RELEASE_DOCS} DESTINATION . COMPONENT archive)

# The Debian package: /usr/bin/leakbridge finds the agent in ../lib/leakbridge/.
install(TARGETS leakbridge-cli RUNTIME DESTINATION bin COMPONENT deb EXCLUDE_FROM_ALL)
install(TARGETS leakbridge LIBRARY DESTINATION lib/leakbridge COMPONENT deb EXCLUDE_FROM_ALL)
install(FILES ${LB_JARS} DESTINATION share/java COMPONENT deb EXCLUDE_FROM_ALL)
install(FILES ${LB_RELEASE_HEADERS} DESTINATION include/leakbridge COMPONENT deb EXCLUDE_FROM_ALL)
install(FILES ${LB_DOC_PAGES} DESTINATION share/doc/leakbridge/docs COMPONENT deb EXCLUDE_FROM_ALL)
install(FILES ${LB_RELEASE_DOCS} DESTINATION share/doc/leakbridge COMPONENT deb EXCLUDE_FROM_ALL)

set(CPACK_PACKAGE_NAME leakbridge)
set(CPACK_PACKAGE_VENDOR leakbridge)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
    "JVMTI agent that finds which code holds a JVM's off-heap memory")
set(CPACK_PACKAGE_CONTACT "leakbridge maintainers <leakbridge@localhost>")
set(CPACK_GENERATOR TGZ DEB)
set(CPACK_PACKAGE_CHECKSUM SHA256)
set(CPACK_STRIP_FILES ON)
set(CPACK_SOURCE_GENERATOR "")
set(CPACK_PACKAGE_DIRECTORY ${CMAKE_BINARY_DIR})
set(CPACK_PACKAGE_FILE_NAME ${LB_ARCHIVE_NAME})
set(CPACK_DEBIAN_FILE_NAME ${LB_DEB_NAME}.deb)
set(CPACK_DEBIAN_PACKAGE_ARCHITECTURE amd64)
set(CPACK_DEBIAN_PACKAGE_SECTION devel)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "libc6 (>= 2.17)")
set(CPACK_DEBIAN_PACKAGE_DESCRIPTION
    "leakbridge ties every live block of a JVM's native memory (direct buffers, Unsafe,\nmalloc and new in JNI libraries, mapped files) to the mixed stack that allocated it.\nThe agent is /usr/lib/leakbridge/libleakbridge.so; /usr/bin/leakbridge reads its\nreports; the Java API and JUnit 5 jars are in /usr/share/java.")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
# One component per generator, chosen in cpack_generator.cmake.
set(CPACK_PROJECT_CONFIG_FILE ${CMAKE_SOURCE_DIR}/cmake/cpack_generator.cmake)
set(CPACK_LB_BUILD_DIR ${CMAKE_BINARY_DIR})
include(CPack)

# Its tests (after java/, whose jars and JUnit paths they use).
add_subdirectory(${CMAKE_SOURCE_DIR}/tests/release ${CMAKE_BINARY_DIR}/tests/release)
