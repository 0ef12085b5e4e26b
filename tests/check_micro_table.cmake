# ctest: tools/micro_table.py runs end to end on a hardware file, exits 0,
# and prints one row per op of its first table (each with a number in the
# npusim busy and delta columns) and the five rows of its GEMM table.
#   cmake -DPYTHON=python3 -DNPUSIM=... -DSRC=... -DHW=a2a3 -DOUT=... -P check_micro_table.cmake
foreach(v PYTHON NPUSIM SRC HW OUT)
  if(NOT DEFINED ${v})
    message(FATAL_ERROR "check_micro_table.cmake: -D${v}=... missing")
  endif()
endforeach()
# The rows of shared/calibration/ptoisa_micro.md's first table (tools/micro_table.py's ROWS).
set(expected_ops 23)
set(expected_gemm 5)
file(MAKE_DIRECTORY "${OUT}")
execute_process(
  COMMAND "${PYTHON}" tools/micro_table.py --hw configs/hw/${HW}.yaml --bin "${NPUSIM}"
          --markdown-out "${OUT}/micro_table.${HW}.md"
  WORKING_DIRECTORY "${SRC}" RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
message("${out}")
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "tools/micro_table.py failed (exit ${rc}):\n${err}")
endif()
# One list element per line: first take out what a CMake list treats specially.
string(REPLACE ";" "," text "${out}")
string(REPLACE "[" "(" text "${text}")
string(REPLACE "]" ")" text "${text}")
string(REPLACE "\n" ";" lines "${text}")
set(table 0)   # 1: in the first table, 2: in the GEMM table
set(ops 0)
set(gemm 0)
foreach(line IN LISTS lines)
  if(line MATCHES "^\\| op \\(npusim mnemonic\\)")
    set(table 1)
  elseif(line MATCHES "^\\| GEMM ")
    set(table 2)
  elseif(line MATCHES "^\\|---")
  elseif(table EQUAL 1 AND line MATCHES "^\\| ")
    if(NOT line MATCHES "^\\|[^|]+\\|[^|]+\\|[^|]+\\| [0-9]+ \\| -?[0-9]+ \\|")
      message(FATAL_ERROR "op row without a busy and delta: ${line}")
    endif()
    math(EXPR ops "${ops} + 1")
  elseif(table EQUAL 2 AND line MATCHES "^\\| ")
    if(NOT line MATCHES "^\\|[^|]+\\| [0-9]+ \\| [0-9]+ \\|")
      message(FATAL_ERROR "GEMM row without npusim values: ${line}")
    endif()
    math(EXPR gemm "${gemm} + 1")
  elseif(NOT line MATCHES "^\\|")
    set(table 0)
  endif()
endforeach()
if(NOT ops EQUAL expected_ops OR NOT gemm EQUAL expected_gemm)
  message(FATAL_ERROR "expected ${expected_ops} op rows and ${expected_gemm} GEMM rows, got ${ops} and ${gemm}")
endif()
