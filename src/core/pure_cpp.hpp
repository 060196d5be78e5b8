// Compile-time guard: the core is pure C++17 + Eigen and must never see a PostgreSQL header.
// Every file in src/core includes this header last; if postgres.h (or c.h) was pulled in
// before it, the build fails here.
#pragma once

#if defined(POSTGRES_H) || defined(C_H) || defined(PG_CONFIG_H)
static_assert(false, "src/core must not include PostgreSQL headers: keep the core pure C++");
#endif
