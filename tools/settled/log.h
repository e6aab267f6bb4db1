/* SPDX-License-Identifier: GPL-2.0 */
#ifndef SETTLED_LOG_H
#define SETTLED_LOG_H

#include "config.h"

enum log_target { LOG_TO_STDERR, LOG_TO_SYSLOG, LOG_TO_JOURNAL };

/* journal when stderr is the journal's stream or when not in foreground
 * under systemd, syslog when daemonized without systemd, else stderr */
void log_open(int foreground);
void log_set_level(int level);
void log_msg(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define log_err(...)	log_msg(LOG_LVL_ERR, __VA_ARGS__)
#define log_warn(...)	log_msg(LOG_LVL_WARN, __VA_ARGS__)
#define log_info(...)	log_msg(LOG_LVL_INFO, __VA_ARGS__)
#define log_debug(...)	log_msg(LOG_LVL_DEBUG, __VA_ARGS__)

#endif
