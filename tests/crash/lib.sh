# SPDX-License-Identifier: LGPL-2.1-or-later
# The kill loop (sourced after tests/daemon/lib.sh): kvmnetd is killed with
# -9 at each crash point of one request in turn (src/util/crashpoint.h),
# restarted, and the test's check decides whether what the restart left is
# the state before the request or the state after it, and nothing else.
#
#   kill_loop VERB[,VERB...] RUN CHECK RESET [DAEMON-ARGS...]
#     VERB   the requests whose points count (KVMNET_TEST_CRASH_VERB)
#     RUN    sends the request (its exit status is not looked at)
#     CHECK  K: prints "before" or "after" (or fails) on the restarted daemon;
#            K is 0 after the dry run (the request done: "after" is now),
#            "baseline" once RESET undid it ("before" is now: a RESET need
#            not give back the files byte for byte, a rollback must)
#     RESET  brings an "after" back to "before"
# Counts, in KILLED_BEFORE and KILLED_AFTER, what the restarts rolled back
# and what they completed; the points are in $CRASH_POINTS ($T/points.VERB).
# For CHECK:
#   restart_log K     what kvmnetd logged once killed at point K (its own
#                     start after the kill, recovery included)
#   passed K PATTERN  point K, or one before it, matches the ERE PATTERN
#   killed K          K is a point killed at (not 0, baseline or reset)
#   no_temps DIR...   no temporary file (.kvmnet-tmp-*) a kill left between
#                     its write and its rename is in the DIRs (else names
#                     them and fails): the restart removes them
killed() { case $1 in 0 | baseline | reset) return 1 ;; esac; }
restart_log() { sed -n "/^crash point $1 /,\$p" "$T/daemon.log"; }
passed() { head -n "$1" "$CRASH_POINTS" | grep -Eq "^[0-9]+ ($2)"; }
no_temps() {
        local t
        t=$(find "$@" -name '.kvmnet-tmp-*' 2>/dev/null)
        [ -z "$t" ] || { echo "temp files left: $t"; return 1; }
}

kill_loop() {
        local verb=$1 run=$2 check=$3 reset=$4 k n state rc
        shift 4
        # The dry run: how many points the request passes.
        CRASH_POINTS=$T/points.${verb%%,*}
        rm -f "$CRASH_POINTS"
        KVMNET_TEST_CRASH_VERB=$verb KVMNET_TEST_CRASH_LOG=$CRASH_POINTS start_daemon "$@"
        "$run" >"$T/run.out" 2>&1 || fail "$verb without a kill failed: $(cat "$T/run.out")"
        "$reset"
        "$check" baseline >/dev/null || fail "$verb: no baseline"
        # Once more from the baseline: "after" as every restart will see
        # it, and the points as every run from the baseline passes them (the
        # first run may do once-only work: a state file made).
        mv "$CRASH_POINTS" "$CRASH_POINTS.first"
        "$run" >"$T/run.out" 2>&1 || fail "$verb without a kill failed: $(cat "$T/run.out")"
        # (A request's last points may come after its reply -- attach's
        # state write: the count is taken once it stops growing.)
        n=-1
        while [ "$n" != "$(wc -l <"$CRASH_POINTS")" ]; do
                n=$(wc -l <"$CRASH_POINTS")
                sleep 0.1
        done
        # (Not in a $(...): CHECK keeps what it saw.)
        "$check" 0 >"$T/check.out" || fail "$verb without a kill: $(cat "$T/check.out")"
        state=$(cat "$T/check.out")
        [ "$state" = after ] || fail "$verb without a kill left '$state'"
        "$reset"
        state=$("$check" reset) || fail "$verb: reset: $state"
        [ "$state" = before ] || fail "$verb: the reset is not back to the baseline"
        stop_daemon
        [ "$n" -ge 3 ] || fail "$verb passes only $n crash points: $(cat "$CRASH_POINTS")"
        KILLED_BEFORE=0 KILLED_AFTER=0
        for k in $(seq "$n"); do
                : >"$T/daemon.log"
                KVMNET_TEST_CRASH_VERB=$verb KVMNET_TEST_CRASH_AT=$k start_daemon "$@"
                "$run" >"$T/run.out" 2>&1
                # (A point the dry run passed but this run did not: no kill.)
                wait_for sh -c "! kill -0 $DAEMON_PID 2>/dev/null || grep -q '^State:.*Z' /proc/$DAEMON_PID/status" ||
                        fail "$verb: kvmnetd still runs after the request; point $k is $(sed -n "${k}p" "$CRASH_POINTS") of: $(cat "$CRASH_POINTS"); its log: $(cat "$T/daemon.log")"
                rc=0
                wait "$DAEMON_PID" 2>/dev/null || rc=$?
                DAEMON_PID=
                [ "$rc" = 137 ] || fail "$verb: kvmnetd was not killed at point $k ($(sed -n "${k}p" "$CRASH_POINTS")): exit $rc"
                grep -q "^crash point $k " "$T/daemon.log" || fail "no crash point $k in the log"
                rm -f "$T/rw" "$T/ro"
                start_daemon "$@"
                state=$("$check" "$k") || fail "$verb killed at point $k ($(sed -n "${k}p" "$CRASH_POINTS")): $state"
                case $state in
                before) KILLED_BEFORE=$((KILLED_BEFORE + 1)) ;;
                after)
                        KILLED_AFTER=$((KILLED_AFTER + 1))
                        "$reset"
                        ;;
                *) fail "$verb killed at point $k: '$state'" ;;
                esac
                stop_daemon
        done
        KILL_POINTS=$n
}
