// PostgreSQL server headers for the C++ adapter. Include this after every C++ standard and
// src/core header: postgres.h redefines names such as snprintf that C++ headers also declare.
#pragma once

// PostgreSQL 15 leaves PGDLLEXPORT empty on ELF platforms, but this module is compiled with
// -fvisibility=hidden: the SQL-callable symbols must be exported explicitly.
#ifndef PGDLLEXPORT
#define PGDLLEXPORT __attribute__((visibility("default")))
#endif

extern "C" {
#include "postgres.h"

#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/elog.h"
#include "utils/memutils.h"
}
