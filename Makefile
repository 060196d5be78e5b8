# movie_recs: PGXS build of the PostgreSQL extension (src/pg adapter + src/core library).
#
#   make [WERROR=1] && make install && make installcheck
#
# The core alone (and its unit tests) is built by CMakeLists.txt.

EXTENSION    = movie_recs
MODULE_big   = movie_recs
OBJS         = $(patsubst %.cpp,%.o,$(sort $(wildcard src/pg/*.cpp) $(wildcard src/core/*.cpp)))
EXTVERSION   = 0.2.0
# The install script of the current version is assembled from sql/install/*.sql, one file per
# topic, in name order; so is the upgrade script from 0.1.0 (below). The 0.1.0 install script is
# kept as it shipped, for CREATE EXTENSION ... VERSION '0.1.0' and the upgrade test.
DATA         = sql/movie_recs--0.1.0.sql
DATA_built   = sql/movie_recs--$(EXTVERSION).sql sql/movie_recs--0.1.0--0.2.0.sql
REGRESS      = setup train recommend errors demo quality scale direct_read btree_read
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
# SANITIZE=1: AddressSanitizer and UndefinedBehaviorSanitizer (gcc's, linked dynamically); any
# finding aborts the backend. The server must run with the matching libasan preloaded
# (tests/sanitize/run.sh shows how); install such a build only into a private PostgreSQL.
ifeq ($(SANITIZE),1)
SANITIZE_FLAGS = -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
PG_CXXFLAGS += $(SANITIZE_FLAGS) -O1 -g1
SHLIB_LINK  += $(SANITIZE_FLAGS)
endif

# Debian's pg_config says with_llvm=yes; JIT bitcode for C++ would need clang. Not wanted.
override with_llvm = no

EXTRA_CLEAN = src/pg/*.o src/core/*.o

PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

sql/movie_recs--$(EXTVERSION).sql: $(sort $(wildcard sql/install/*.sql))
	cat $^ > $@

# Upgrade 0.1.0 -> 0.2.0: the changes to objects 0.1.0 had (sql/upgrade/0.1.0--0.2.0.sql), then
# every topic file 0.1.0 did not have, then the privileges again. A change to one of the five
# files of 0.1.0 must be repeated in sql/upgrade/0.1.0--0.2.0.sql; tests/pgtap/10_upgrade.sql
# fails when the upgraded catalog differs from a fresh install.
FILES_0_1_0  = $(addprefix sql/install/,00_schema.sql 10_catalog.sql 20_train_serve.sql \
                                        40_demo_data.sql 90_privileges.sql)
NEW_IN_0_2_0 = $(filter-out $(FILES_0_1_0),$(sort $(wildcard sql/install/*.sql)))
sql/movie_recs--0.1.0--0.2.0.sql: sql/upgrade/0.1.0--0.2.0.sql $(NEW_IN_0_2_0) \
                                  sql/install/90_privileges.sql
	cat $^ > $@

# Objects depend on the headers they may include (coarse but safe).
$(OBJS): $(wildcard src/pg/*.hpp) $(wildcard src/core/*.hpp)
