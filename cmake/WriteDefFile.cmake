# Writes the module-definition (.def) file of lightyear_conn.dll: every
# LY_API function of the public header, so the MSVC import library made
# from it names exactly the ABI.
#   cmake -DHEADER=<lightyear_conn.h> -DOUT=<lightyear_conn.def> -P WriteDefFile.cmake
file(STRINGS "${HEADER}" _lines REGEX "^LY_API ")
set(_def "LIBRARY lightyear_conn.dll\nEXPORTS\n")
foreach(_line IN LISTS _lines)
  if(_line MATCHES "[ *(](ly_[A-Za-z0-9_]+)\\)?\\(")
    string(APPEND _def "    ${CMAKE_MATCH_1}\n")
  endif()
endforeach()
file(WRITE "${OUT}" "${_def}")
