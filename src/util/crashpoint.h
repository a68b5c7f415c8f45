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
 * Without KVMNET_TEST_CRASH_VERB a point costs one load and a branch.
 *
 * Step hooks, for tests only too: the kernel or QEMU cannot be made to
 * refuse a given step (a netlink change, a tap's creation, a getfd) on
 * demand, so a test names the step in the environment:
 *   KVMNET_TEST_FAIL_STEP=PREFIX  the step whose description starts with
 *                                 PREFIX fails (kn_test_fail_step), as a
 *                                 refusal would, and its undo path runs;
 *   KVMNET_TEST_KILL_STEP=PREFIX  SIGKILL right after the kernel made that
 *                                 step (the live layer's).
 * Unset, a hook costs one getenv. */

#include <stdbool.h>

#include "kvmnet/error.h"
#include "macro.h"

/* A request with VERB starts (src/api's dispatcher): arms or disarms. */
void kn_crashpoint_request(const char *verb);
_printf_(1, 2) void kn_crashpoint(const char *fmt, ...);

/* VAR is set and what starts with its value. */
bool kn_test_hook(const char *var, const char *what);
/* 0, or -EIO with err "WHAT: injected failure (KVMNET_TEST_FAIL_STEP)" when
 * KVMNET_TEST_FAIL_STEP names the step what. */
int kn_test_fail_step(const char *what, kn_error *err);
