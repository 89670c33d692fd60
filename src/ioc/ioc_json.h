/*
 * The JSON form of an indicator, the same wherever iocm prints one.
 */
#ifndef IOCM_IOC_IOC_JSON_H
#define IOCM_IOC_IOC_JSON_H

#include <jansson.h>

struct ioc;

/* A new JSON object with every field of ioc; times as ISO 8601 or null. */
json_t *ioc_to_json(const struct ioc *ioc);

#endif
