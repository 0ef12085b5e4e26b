// npusim command line (being built; see README).
#include <cstdio>
int sc_main(int, char**) { std::fprintf(stderr, "npusim: no commands yet\n"); return 2; }
