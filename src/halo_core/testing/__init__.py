"""Shared contract test suites for HALO components (import them in tests only; they need pytest).

A plugin proves it honours a contract by subclassing the suite in its own tests and overriding
the factory fixture, as hydra's launcher plugins do with `launcher_common_tests`:

    from halo_core.testing.cache_contract import CacheBackendContract

    class TestRedisCache(CacheBackendContract):
        @pytest.fixture
        def make_backend(self, redis_url):
            def make(max_entries=None):
                ...
            return make

Suites: `extractor_contract.ExtractorContract`, `chunker_contract.ChunkerContract`,
`embedder_contract.EmbedderContract`, `index_contract.VectorIndexContract`,
`cache_contract.CacheBackendContract`, `llm_contract.LLMBackendContract`,
`executor_contract.ExecutorContract` (docs/plugins.md lists the fixtures each needs).
Helpers: `media` (tiny real media files), `clock.FakeClock`, `plugins.registered` (a throwaway
plugin), `cli.invoke_halo` (the `halo` command line in-process), `timelines` (generated timelines
and chunk invariants).
"""
