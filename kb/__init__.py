"""The knowledge base: what the business wrote (documents, FAQ sheets, its website, answers staff
saved), split into passages, embedded, and searched for every customer message, so the assistant
answers from it and cites it.

- service.py: the one entry point the admin API and the CLI call (queries and workflows, per workspace)
- api/: the /knowledge-base routes, one module per resource, with their schemas
- commands.py: `frontdesk kb add|list|search|embedding`
- models.py: the tables (collections, documents, chunks with vectors, sites, jobs, settings)
- ingest/: a file in, passages out (guard, readers, sections, chunking)
- store.py: writing documents with their passages and vectors; sites.py and crawl.py: websites
- embeddings.py (the local model), remote.py (an OpenAI-compatible endpoint), embedders.py (which one
  each workspace uses)
- index.py and search.py: the in-memory hybrid index each process keeps, and searching it
- jobs.py (long work with its progress) and refresh.py (scheduled re-crawls and re-embedding)
- retrieve.py and extractive.py: the pipeline's retrieve stage, and the drafter used without an LLM
- memory.py (staff answers saved as knowledge) and demo.py (the demo salon's FAQ)
"""
