# embed.cmake - write a file's bytes into a C source as an array, so that
# the binary carries the file and never looks it up at run time:
#
#   cmake -DIN=docs/api/openapi.json -DOUT=build/gen/openapi_json.c \
#         -DNAME=api_openapi_json -P cmake/embed.cmake
#
# defines `const unsigned char NAME[]` (the bytes and a NUL after them) and
# `const size_t NAME_len` (the bytes, without the NUL).
if(NOT IN OR NOT OUT OR NOT NAME)
  message(FATAL_ERROR "embed.cmake: give -DIN=FILE -DOUT=FILE.c -DNAME=identifier")
endif()
file(READ "${IN}" hex HEX)
string(LENGTH "${hex}" digits)
math(EXPR len "${digits} / 2")
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
string(REGEX REPLACE "((0x[0-9a-f][0-9a-f],){16})" "\\1\n    " bytes "${bytes}")
file(WRITE "${OUT}"
  "/* Generated from ${IN} by cmake/embed.cmake: do not edit. */\n"
  "#include <stddef.h>\n\n"
  "extern const unsigned char ${NAME}[];\n"
  "extern const size_t ${NAME}_len;\n\n"
  "const unsigned char ${NAME}[] = {\n    ${bytes}0x00};\n"
  "const size_t ${NAME}_len = ${len};\n")
