/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Crash points: the places where a kvmnetd killed with -9 must leave
 * something its successor can roll back or complete (a file replaced, a
 * netlink step the kernel made, a QMP command sent, a network's piece
 * started).  For tests only, driven by the environment:
 *   KVMNET_TEST_CRASH_VERB=VERB[,VERB...]  count the points passed while
 *                                a request with one of these verbs is the
 *                                last one dispatched;
 *   KVMNET_TEST_CRASH_AT=N       SIGKILL the process at the Nth of them;
 *   KVMNET_TEST_CRASH_LOG=FILE   append each counted point's name to FILE.
 * tests/crash/kill-loop.sh kills at each point of an operation in turn.
 * Without KVMNET_TEST_CRASH_VERB a point costs one load and a branch. */

#include "macro.h"

/* A request with VERB starts (src/api's dispatcher): arms or disarms. */
void kn_crashpoint_request(const char *verb);
_printf_(1, 2) void kn_crashpoint(const char *fmt, ...);
