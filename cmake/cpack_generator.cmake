# Read by cpack for each generator (CPACK_PROJECT_CONFIG_FILE): the archive installs component
# `archive` under leakbridge-VERSION-linux-x64/, the Debian package component `deb` under /usr.
if(CPACK_GENERATOR STREQUAL "TGZ")
  set(CPACK_INSTALL_CMAKE_PROJECTS "${CPACK_LB_BUILD_DIR};leakbridge;archive;/")
  set(CPACK_PACKAGING_INSTALL_PREFIX "")
elseif(CPACK_GENERATOR STREQUAL "DEB")
  set(CPACK_INSTALL_CMAKE_PROJECTS "${CPACK_LB_BUILD_DIR};leakbridge;deb;/")
  set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
endif()
