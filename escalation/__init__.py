"""The handoff domain: when a person takes over a conversation, and how it goes back.

states.py    bot -> queued -> human -> resolved | back to bot; ``transition`` decides
models.py    the ``handoffs`` table (agents' messages are conversation messages)
store.py     ``move``, the one place state changes (compare-and-set), ``post``, ``Change``
service.py   enqueue, claim, reply, transfer, release, resolve, handback, expire_unclaimed
queue.py     reading: the queue with counts, transcripts, ``bot_context_notes``
events.py    ``EventHub`` (in-process pub/sub) and ``PostgresFanout`` (LISTEN/NOTIFY)
streams.py   the SSE streams for agent consoles and customer widgets
watcher.py   the no-pickup timeout, run in the background
router.py    the agents' API (role agent); widget.py the customer's side (role chat)
"""
