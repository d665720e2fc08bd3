/* SPDX-License-Identifier: GPL-2.0 */
/*
 * json - a minimal streaming JSON writer for kpoolctl --json.
 *
 * Values are written in order; @key is the member name inside an object
 * and NULL inside an array or for the top-level value. Strings are
 * escaped so the output is always valid JSON in valid UTF-8, whatever
 * bytes the input holds (invalid UTF-8 becomes U+FFFD).
 */
#ifndef KPOOL_JSON_H
#define KPOOL_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "kpool_lib.h"

#define JSON_MAX_DEPTH	16

struct json {
	FILE *f;
	bool pretty;		/* indent; else one line per top-level value */
	int depth;
	bool has_members[JSON_MAX_DEPTH];
};

void json_init(struct json *j, FILE *f, bool pretty);
void json_object_begin(struct json *j, const char *key);
void json_object_end(struct json *j);
void json_array_begin(struct json *j, const char *key);
void json_array_end(struct json *j);
void json_string(struct json *j, const char *key, const char *s);
/* At most @n bytes of @s, stopping at a NUL. */
void json_string_n(struct json *j, const char *key, const char *s, size_t n);
void json_u64(struct json *j, const char *key, u64 v);
void json_i64(struct json *j, const char *key, s64 v);
/* Non-finite values are written as null. */
void json_double(struct json *j, const char *key, double v);
void json_bool(struct json *j, const char *key, bool v);
void json_null(struct json *j, const char *key);
/* An array of the @n numbers at @v. */
void json_u32_array(struct json *j, const char *key, const u32 *v, size_t n);

/* The quoted, escaped form of @n bytes of @s (stopping at a NUL). */
void json_write_escaped(FILE *f, const char *s, size_t n);

#endif /* KPOOL_JSON_H */
