/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The loop watch and events share: subscribe, poll, dispatch, stop on a
 * signal, on -n COUNT, or when a callback says so.
 */
#ifndef METERCTL_STREAM_H
#define METERCTL_STREAM_H

#include "meterctl.h"

/* A callback's "stop" value: ml_sub_dispatch() returns it unchanged. */
#define STREAM_DONE	1

/*
 * Subscribes to @groups and dispatches to @ops until a signal, a callback
 * returns STREAM_DONE (exit 0) or a negative errno (reported), or another
 * callback return value, which is returned as the exit status. Flushes
 * stdout after every batch so a pipe sees lines as they come.
 */
int stream_run(struct ctl *c, unsigned int groups, const struct ml_sub_ops *ops, void *ctx);

/* "-n COUNT" of watch and events; returns an exit status, 0 to go on */
int stream_opts(struct ctl *c, int *argc, char ***argv, uint64_t *count);

#endif /* METERCTL_STREAM_H */
