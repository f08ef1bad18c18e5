#include "baseline_tw.h"
static int register_tests(void){return 0;}
CUTEST_MAIN(register_tests)
