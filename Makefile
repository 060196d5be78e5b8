# movie_recs: PGXS build of the PostgreSQL extension (src/pg adapter + src/core library).
#
#   make [WERROR=1] && make install && make installcheck
#
# The core alone (and its unit tests) is built by CMakeLists.txt.

EXTENSION    = movie_recs
MODULE_big   = movie_recs
OBJS         = $(patsubst %.cpp,%.o,$(sort $(wildcard src/pg/*.cpp) $(wildcard src/core/*.cpp)))
# The install script is assembled from sql/install/*.sql, one file per topic, in name order.
DATA_built   = sql/movie_recs--0.1.0.sql
REGRESS      = setup train recommend errors demo scale
REGRESS_OPTS = --inputdir=.

PG_CONFIG      ?= pg_config
EIGEN_INCLUDE  ?= /usr/include/eigen3

# Server and Eigen headers as system headers: they are not written for -Wextra in C++17.
PG_CPPFLAGS += -I$(srcdir)/src -isystem $(EIGEN_INCLUDE) \
               -isystem $(shell $(PG_CONFIG) --includedir-server)
PG_CXXFLAGS += -std=c++17 -O2 -fvisibility=hidden -fvisibility-inlines-hidden -Wall -Wextra
ifeq ($(WERROR),1)
PG_CXXFLAGS += -Werror
endif
SHLIB_LINK  += -lstdc++ -lpthread

# Debian's pg_config says with_llvm=yes; JIT bitcode for C++ would need clang. Not wanted.
override with_llvm = no

EXTRA_CLEAN = src/pg/*.o src/core/*.o

PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

sql/movie_recs--0.1.0.sql: $(sort $(wildcard sql/install/*.sql))
	cat $^ > $@

# Objects depend on the headers they may include (coarse but safe).
$(OBJS): $(wildcard src/pg/*.hpp) $(wildcard src/core/*.hpp)
