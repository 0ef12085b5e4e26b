# Regression gate (ctest): simulate one workload and compare it with its
# committed baseline; any change of total cycles, launches or DMAs, in total
# or per kernel, fails. To accept a change on purpose, see README
# "Regression gates" (npusim check ... --update).
#   cmake -DNPUSIM=... -DSRC=... -DOUT=... -DHW=a2a3 -DWORKLOAD=qwen3_32b_decode_baseline -P check_baseline.cmake
foreach(v NPUSIM SRC OUT HW WORKLOAD)
  if(NOT DEFINED ${v})
    message(FATAL_ERROR "check_baseline.cmake: -D${v}=... missing")
  endif()
endforeach()
set(report "${OUT}/${WORKLOAD}.${HW}.json")
set(baseline "tests/baselines/${WORKLOAD}.${HW}.json")
file(MAKE_DIRECTORY "${OUT}")
execute_process(
  COMMAND "${NPUSIM}" run -q --hw configs/hw/${HW}.yaml --workload configs/workloads/${WORKLOAD}.yaml
          --report "${report}"
  WORKING_DIRECTORY "${SRC}" RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "npusim run failed (exit ${rc})")
endif()
execute_process(
  COMMAND "${NPUSIM}" check "${report}" --baseline "${baseline}" --tolerance 0 --strict
  WORKING_DIRECTORY "${SRC}" RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "${WORKLOAD} on ${HW} moved from ${baseline}. If that is intended, update it on purpose "
                      "(from ${SRC}): ${NPUSIM} check ${report} --baseline ${baseline} --update")
endif()
