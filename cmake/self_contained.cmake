# The self-contained build (LB_SELF_CONTAINED, docs/release.md): the agent links jansson
# (Debian's libjansson.a) and a position-independent libunwind built here from Debian's source,
# hides their symbols, and binds every glibc function to a version no newer than 2.17
# (common/glibc_compat.c); the command the same with jansson and yajl.

set(LB_LIBUNWIND_SOURCE "" CACHE PATH
    "an unpacked libunwind source tree to build from; empty: fetch Debian's source package")
set(LB_LIBUNWIND_DIR ${CMAKE_BINARY_DIR}/libunwind)
set(LB_LIBUNWIND_A ${LB_LIBUNWIND_DIR}/install/lib/libunwind.a)
add_custom_command(
  OUTPUT ${LB_LIBUNWIND_A}
  BYPRODUCTS ${LB_LIBUNWIND_DIR}/install/include/libunwind.h ${LB_LIBUNWIND_DIR}/install/COPYING
  COMMAND ${CMAKE_SOURCE_DIR}/scripts/build-libunwind.sh ${LB_LIBUNWIND_DIR} ${LB_LIBUNWIND_SOURCE}
  DEPENDS ${CMAKE_SOURCE_DIR}/scripts/build-libunwind.sh
          ${CMAKE_SOURCE_DIR}/scripts/fetch-libunwind-source.sh
  COMMENT "Building a position-independent libunwind (once per build directory)")
add_custom_target(libunwind_pic DEPENDS ${LB_LIBUNWIND_A})

find_library(LB_JANSSON_STATIC NAMES libjansson.a REQUIRED)
find_library(LB_YAJL_STATIC NAMES libyajl_s.a REQUIRED)

# lb_glibc_wraps(VAR FILE...): -Wl,--wrap=NAME for every NAME the files give an old version of
# (include/leakbridge/glibc_compat.h), read again whenever a file changes.
function(lb_glibc_wraps var)
  set(wraps)
  foreach(file ${ARGN})
    set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${file})
    file(READ ${file} text)
    string(REGEX MATCHALL "\nLB_OLD\\([^,]+, [a-z0-9_]+,|__wrap_[a-z0-9_]+\\(" found "${text}")
    foreach(f ${found})
      string(REGEX REPLACE "^.*(, |__wrap_)([a-z0-9_]+)[,(]$" "-Wl,--wrap=\\2" f "${f}")
      list(APPEND wraps ${f})
    endforeach()
  endforeach()
  list(REMOVE_DUPLICATES wraps)
  set(${var} ${wraps} PARENT_SCOPE)
endfunction()
set(LB_GLIBC_COMPAT ${CMAKE_SOURCE_DIR}/common/glibc_compat.c)
lb_glibc_wraps(LB_AGENT_WRAPS ${LB_GLIBC_COMPAT})
lb_glibc_wraps(LB_CLI_WRAPS ${LB_GLIBC_COMPAT} ${CMAKE_SOURCE_DIR}/cli/glibc_compat_main.c)

# lb_agent_self_contained(TARGET): what the agent target links instead of Debian's shared
# jansson and libunwind. libdl and libpthread are needed by name: glibc before 2.34 has dlopen
# and the pthread functions there, not in libc.
function(lb_agent_self_contained target)
  target_sources(${target} PRIVATE ${LB_GLIBC_COMPAT})
  add_dependencies(${target} libunwind_pic)
  target_include_directories(${target} BEFORE PRIVATE ${LB_LIBUNWIND_DIR}/install/include)
  target_link_libraries(${target} PRIVATE ${LB_LIBUNWIND_A} ${LB_JANSSON_STATIC} m
                        -Wl,--no-as-needed -l:libdl.so.2 -l:libpthread.so.0 -Wl,--as-needed)
  target_link_options(${target} PRIVATE -Wl,--exclude-libs,ALL ${LB_AGENT_WRAPS})
endfunction()

# lb_cli_self_contained(TARGET): the command, with jansson and yajl linked in.
function(lb_cli_self_contained target)
  target_sources(${target} PRIVATE ${LB_GLIBC_COMPAT} ${CMAKE_SOURCE_DIR}/cli/glibc_compat_main.c)
  target_include_directories(${target} SYSTEM PRIVATE ${JANSSON_INCLUDE_DIRS} ${YAJL_INCLUDE_DIRS})
  target_link_libraries(${target} PRIVATE ${LB_JANSSON_STATIC} ${LB_YAJL_STATIC} m
                        -Wl,--no-as-needed -l:libdl.so.2 -l:libpthread.so.0 -Wl,--as-needed)
  target_link_options(${target} PRIVATE ${LB_CLI_WRAPS})
endfunction()
