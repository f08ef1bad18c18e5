/* topic.h — MQTT 3.1.1 topic names and topic filters (OASIS MQTT 3.1.1
 * section 4.7): '/' separates levels, '+' matches exactly one level, '#'
 * matches the parent and any number of child levels and must be last,
 * names starting with '$' are not matched by filters starting with a
 * wildcard. */
#ifndef KMSIM_TOPIC_H
#define KMSIM_TOPIC_H

#include <stddef.h>

/* 1 if `name` is a valid topic name (non-empty, <= 65535 bytes, no '+',
 * '#' or NUL), else 0. */
int sim_topic_name_valid(const char *name);
/* 1 if `filter` is a valid topic filter (non-empty, <= 65535 bytes, '+'
 * and '#' occupy a whole level, '#' only last), else 0. */
int sim_topic_filter_valid(const char *filter);
/* 1 if the (valid) filter matches the (valid) topic name, else 0. */
int sim_topic_match(const char *filter, const char *name);

#endif
