// SPDX-License-Identifier: GPL-2.0
/*
 * json - a minimal streaming JSON writer (see json.h).
 */
#include <math.h>
#include <string.h>

#include "json.h"

void json_init(struct json *j, FILE *f, bool pretty)
{
	memset(j, 0, sizeof(*j));
	j->f = f;
	j->pretty = pretty;
}

/* Length of the valid UTF-8 sequence at @s (at most @n bytes), else 0. */
static size_t utf8_sequence(const unsigned char *s, size_t n)
{
	u32 cp;
	size_t len, i;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		len = 2, cp = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		len = 3, cp = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		len = 4, cp = s[0] & 0x07;
	else
		return 0;
	if (len > n)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	/* overlong forms, surrogates and code points past U+10FFFF */
	if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return 0;
	return len;
}

void json_write_escaped(FILE *f, const char *str, size_t n)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0, len;

	n = strnlen(str, n);
	fputc('"', f);
	while (i < n) {
		unsigned char c = s[i];

		switch (c) {
		case '"':
			fputs("\\\"", f);
			break;
		case '\\':
			fputs("\\\\", f);
			break;
		case '\b':
			fputs("\\b", f);
			break;
		case '\f':
			fputs("\\f", f);
			break;
		case '\n':
			fputs("\\n", f);
			break;
		case '\r':
			fputs("\\r", f);
			break;
		case '\t':
			fputs("\\t", f);
			break;
		default:
			if (c < 0x20 || c == 0x7f) {
				fprintf(f, "\\u%04x", c);
				break;
			}
			len = utf8_sequence(s + i, n - i);
			if (!len) {
				fputs("\\ufffd", f);
				break;
			}
			fwrite(s + i, 1, len, f);
			i += len;
			continue;
		}
		i++;
	}
	fputc('"', f);
}

static void json_indent(struct json *j)
{
	int i;

	if (!j->pretty)
		return;
	fputc('\n', j->f);
	for (i = 0; i < j->depth; i++)
		fputs("  ", j->f);
}

/* Separator, indentation and "key": before a value. */
static void json_value_prefix(struct json *j, const char *key)
{
	if (j->depth > 0) {
		if (j->has_members[j->depth])
			fputc(',', j->f);
		j->has_members[j->depth] = true;
		json_indent(j);
	}
	if (key) {
		json_write_escaped(j->f, key, strlen(key));
		fputs(j->pretty ? ": " : ":", j->f);
	}
}

/* After a value: a top-level value ends its line. */
static void json_value_suffix(struct json *j)
{
	if (j->depth == 0) {
		fputc('\n', j->f);
		fflush(j->f);
	}
}

static void json_open(struct json *j, const char *key, char bracket)
{
	json_value_prefix(j, key);
	fputc(bracket, j->f);
	if (j->depth + 1 < JSON_MAX_DEPTH)
		j->depth++;
	j->has_members[j->depth] = false;
}

static void json_close(struct json *j, char bracket)
{
	bool had_members = j->has_members[j->depth];

	if (j->depth > 0)
		j->depth--;
	if (had_members)
		json_indent(j);
	fputc(bracket, j->f);
	json_value_suffix(j);
}

void json_object_begin(struct json *j, const char *key)
{
	json_open(j, key, '{');
}

void json_object_end(struct json *j)
{
	json_close(j, '}');
}

void json_array_begin(struct json *j, const char *key)
{
	json_open(j, key, '[');
}

void json_array_end(struct json *j)
{
	json_close(j, ']');
}

void json_string_n(struct json *j, const char *key, const char *s, size_t n)
{
	json_value_prefix(j, key);
	json_write_escaped(j->f, s, n);
	json_value_suffix(j);
}

void json_string(struct json *j, const char *key, const char *s)
{
	json_string_n(j, key, s, strlen(s));
}

void json_u64(struct json *j, const char *key, u64 v)
{
	json_value_prefix(j, key);
	fprintf(j->f, "%llu", v);
	json_value_suffix(j);
}

void json_i64(struct json *j, const char *key, s64 v)
{
	json_value_prefix(j, key);
	fprintf(j->f, "%lld", v);
	json_value_suffix(j);
}

void json_double(struct json *j, const char *key, double v)
{
	json_value_prefix(j, key);
	if (isfinite(v))
		fprintf(j->f, "%.6g", v);
	else
		fputs("null", j->f);
	json_value_suffix(j);
}

void json_bool(struct json *j, const char *key, bool v)
{
	json_value_prefix(j, key);
	fputs(v ? "true" : "false", j->f);
	json_value_suffix(j);
}

void json_null(struct json *j, const char *key)
{
	json_value_prefix(j, key);
	fputs("null", j->f);
	json_value_suffix(j);
}
