# cmake -P script behind the dll_exports test (Windows builds): every
# function of the .def file (the header's LY_API functions, WriteDefFile.cmake)
# is exported by name from lightyear_conn.dll, and the DLL exports nothing
# else but the Go exports those functions call (ly__go_*), which cgo's
# //export puts in every c-shared library.
#   cmake -DDLL=<lightyear_conn.dll> -DDEF=<lightyear_conn.def> -DOBJDUMP=<objdump> -P CheckDllExports.cmake
cmake_minimum_required(VERSION 3.20)

execute_process(COMMAND "${OBJDUMP}" -p "${DLL}" OUTPUT_VARIABLE dump RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "${OBJDUMP} -p ${DLL} failed (${rc})")
endif()
# The export name table: after "[Ordinal/Name Pointer] Table", lines
# "\t[   0] ly_version" up to the first empty line.
string(FIND "${dump}" "[Ordinal/Name Pointer] Table" at)
if(at EQUAL -1)
  message(FATAL_ERROR "${DLL} has no export table")
endif()
string(SUBSTRING "${dump}" ${at} -1 dump)
string(FIND "${dump}" "\n\n" end)
string(SUBSTRING "${dump}" 0 ${end} dump)
string(REGEX MATCHALL "\\[ *[0-9]+\\] [A-Za-z_][A-Za-z0-9_]*" entries "${dump}")
set(exported "")
foreach(e IN LISTS entries)
  string(REGEX REPLACE "^\\[ *[0-9]+\\] " "" name "${e}")
  list(APPEND exported "${name}")
endforeach()

file(STRINGS "${DEF}" def_lines REGEX "^    ly_")
set(missing "")
set(declared "")
foreach(line IN LISTS def_lines)
  string(STRIP "${line}" name)
  list(APPEND declared "${name}")
  if(NOT name IN_LIST exported)
    list(APPEND missing "${name}")
  endif()
endforeach()
set(extra "")
foreach(name IN LISTS exported)
  if(NOT name IN_LIST declared AND NOT name MATCHES "^ly__go_")
    list(APPEND extra "${name}")
  endif()
endforeach()
list(LENGTH declared n_declared)
list(LENGTH exported n_exported)
if(n_declared EQUAL 0 OR missing OR extra)
  message(FATAL_ERROR "lightyear_conn.dll exports ${n_exported} names; of the ${n_declared} in the .def, "
                      "missing: ${missing}; exported but not in the header: ${extra}")
endif()
message(STATUS "lightyear_conn.dll exports all ${n_declared} functions of the header (${n_exported} names with the Go exports)")
