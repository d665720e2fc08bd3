/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Tracepoints of the kpool core. Events name the pool by id and name and
 * never record kernel addresses.
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM kpool

#if !defined(_KPOOL_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define _KPOOL_TRACE_H

#include <linux/string.h>
#include <linux/tracepoint.h>

#include "kpool.h"

/* Room for the name of an error counter in a kpool_error event. */
#define KPOOL_TRACE_ERROR_LEN	16

DECLARE_EVENT_CLASS(kpool_block,
		    TP_PROTO(u32 id, const char *name, bool cached),
		    TP_ARGS(id, name, cached),
		    TP_STRUCT__entry(__field(u32, id)
				     __array(char, name, KPOOL_NAME_LEN)
				     __field(bool, cached)),
		    TP_fast_assign(__entry->id = id;
				   strscpy(__entry->name, name, KPOOL_NAME_LEN);
				   __entry->cached = cached;),
		    TP_printk("pool=%u name=%s cached=%d",
			      __entry->id, __entry->name, __entry->cached)
);

/* kpool_alloc and kpool_free switch the inline hit paths' kpool_traced */
int kpool_trace_reg(void);
void kpool_trace_unreg(void);

/* A block was handed out; cached: straight from the CPU's magazine. */
DEFINE_EVENT_FN(kpool_block, kpool_alloc,
		TP_PROTO(u32 id, const char *name, bool cached),
		TP_ARGS(id, name, cached),
		kpool_trace_reg, kpool_trace_unreg
);

/* A block was given back; cached: into the CPU's magazine. */
DEFINE_EVENT_FN(kpool_block, kpool_free,
		TP_PROTO(u32 id, const char *name, bool cached),
		TP_ARGS(id, name, cached),
		kpool_trace_reg, kpool_trace_unreg
);

/* A growth attempt: err is 0 or the negative errno it failed with. */
TRACE_EVENT(kpool_grow,
	    TP_PROTO(u32 id, const char *name, unsigned int order,
		     unsigned int blocks, int err),
	    TP_ARGS(id, name, order, blocks, err),
	    TP_STRUCT__entry(__field(u32, id)
			     __array(char, name, KPOOL_NAME_LEN)
			     __field(unsigned int, order)
			     __field(unsigned int, blocks)
			     __field(int, err)),
	    TP_fast_assign(__entry->id = id;
			   strscpy(__entry->name, name, KPOOL_NAME_LEN);
			   __entry->order = order;
			   __entry->blocks = blocks;
			   __entry->err = err;),
	    TP_printk("pool=%u name=%s order=%u blocks=%u err=%d",
		      __entry->id, __entry->name, __entry->order,
		      __entry->blocks, __entry->err)
);

/* Chunks given back to the page allocator. */
TRACE_EVENT(kpool_shrink,
	    TP_PROTO(u32 id, const char *name, unsigned long chunks,
		     unsigned long pages),
	    TP_ARGS(id, name, chunks, pages),
	    TP_STRUCT__entry(__field(u32, id)
			     __array(char, name, KPOOL_NAME_LEN)
			     __field(unsigned long, chunks)
			     __field(unsigned long, pages)),
	    TP_fast_assign(__entry->id = id;
			   strscpy(__entry->name, name, KPOOL_NAME_LEN);
			   __entry->chunks = chunks;
			   __entry->pages = pages;),
	    TP_printk("pool=%u name=%s chunks=%lu pages=%lu",
		      __entry->id, __entry->name, __entry->chunks,
		      __entry->pages)
);

/*
 * A refused free or a corruption found by a debug pool: kind is the
 * enum kpool_event of the err_* counter it counts in, and error its name.
 */
TRACE_EVENT(kpool_error,
	    TP_PROTO(u32 id, const char *name, int kind),
	    TP_ARGS(id, name, kind),
	    TP_STRUCT__entry(__field(u32, id)
			     __array(char, name, KPOOL_NAME_LEN)
			     __array(char, error, KPOOL_TRACE_ERROR_LEN)),
	    TP_fast_assign(__entry->id = id;
			   strscpy(__entry->name, name, KPOOL_NAME_LEN);
			   strscpy(__entry->error, kpool_event_name(kind),
				   KPOOL_TRACE_ERROR_LEN);),
	    TP_printk("pool=%u name=%s error=%s", __entry->id,
		      __entry->name, __entry->error)
);

#endif /* _KPOOL_TRACE_H */

#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE kpool_trace

#include <trace/define_trace.h>
