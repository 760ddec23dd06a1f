# cmake -DOUT=FILE -DNOTICES="NAME=FILE|..." -P notices.cmake: the licences of the libraries the
# self-contained agent and command contain, one after the other, for the release to ship.
file(WRITE ${OUT} "leakbridge's self-contained agent and command contain these libraries; their\n"
                  "licences and notices follow.\n")
string(REPLACE "|" ";" NOTICES "${NOTICES}")
foreach(entry ${NOTICES})
  string(REGEX MATCH "^([^=]+)=(.*)$" _ "${entry}")
  file(READ ${CMAKE_MATCH_2} text)
  file(APPEND ${OUT} "\n======== ${CMAKE_MATCH_1} (from ${CMAKE_MATCH_2})\n\n${text}")
endforeach()
