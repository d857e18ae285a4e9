# cmake -P script behind the library_elf test: reads the built ELF library
# with the target's readelf (CMAKE_READELF: aarch64-linux-gnu-readelf in a
# cross build) and checks what a loader and a linker see:
#   - the machine is the one the library was built for;
#   - the SONAME is liblightyear_conn.so.<major>;
#   - every LY_API function of the public header is a defined, global
#     function in the dynamic symbol table.
#
# Inputs (-D): READELF, LIBRARY, HEADER, SONAME, MACHINE (readelf's name of
# the machine, e.g. "AArch64", "Advanced Micro Devices X86-64").
cmake_minimum_required(VERSION 3.20)

function(readelf out)
  execute_process(COMMAND "${READELF}" ${ARGN} "${LIBRARY}"
                  OUTPUT_VARIABLE text ERROR_VARIABLE err RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${READELF} ${ARGN} ${LIBRARY} failed (${rc}): ${err}")
  endif()
  set(${out} "${text}" PARENT_SCOPE)
endfunction()

set(failures 0)

readelf(header_text -h)
string(REGEX MATCH "Machine: +([^\n]+)" _ "${header_text}")
string(STRIP "${CMAKE_MATCH_1}" machine)
if(NOT machine STREQUAL MACHINE)
  message(SEND_ERROR "machine: want ${MACHINE}, got '${machine}'")
  math(EXPR failures "${failures} + 1")
endif()

readelf(dynamic -d)
string(REGEX MATCH "Library soname: \\[([^]]+)\\]" _ "${dynamic}")
if(NOT CMAKE_MATCH_1 STREQUAL SONAME)
  message(SEND_ERROR "SONAME: want ${SONAME}, got '${CMAKE_MATCH_1}'")
  math(EXPR failures "${failures} + 1")
endif()

# "Num: Value Size Type Bind Vis Ndx Name", one symbol a line.
readelf(symbols --dyn-syms -W)
string(REPLACE "\n" ";" symbol_lines "${symbols}")
set(exported)
foreach(line IN LISTS symbol_lines)
  if(line MATCHES " FUNC +GLOBAL +DEFAULT +[0-9]+ +(ly_[A-Za-z0-9_]+)$")
    list(APPEND exported "${CMAKE_MATCH_1}")
  endif()
endforeach()

file(STRINGS "${HEADER}" api_lines REGEX "^LY_API ")
set(count 0)
foreach(line IN LISTS api_lines)
  if(line MATCHES "[ *(](ly_[A-Za-z0-9_]+)\\)?\\(")
    math(EXPR count "${count} + 1")
    if(NOT CMAKE_MATCH_1 IN_LIST exported)
      message(SEND_ERROR "${CMAKE_MATCH_1} (LY_API in the header) is not exported")
      math(EXPR failures "${failures} + 1")
    endif()
  endif()
endforeach()
if(count LESS 10)
  message(FATAL_ERROR "only ${count} LY_API functions found in ${HEADER}")
endif()

if(failures GREATER 0)
  message(FATAL_ERROR "${failures} failures")
endif()
message(STATUS "${machine}, SONAME ${SONAME}, ${count} LY_API functions exported")
