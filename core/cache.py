"""Django's Redis cache with one client object per connection pool.

Django's RedisCacheClient builds a new `redis.Redis` for every cache operation. With redis-py 8
that constructor fills a case-insensitive table of about 170 response callbacks, which cost about
0.3 ms of CPU per operation: more than the round trip to Redis, and paid two or three times per
request (session, availability, rate limits). A `redis.Redis` is thread-safe (it takes a
connection from its pool for each command), so one per pool is enough."""
import redis
from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient as DjangoRedisCacheClient


class RedisCacheClient(DjangoRedisCacheClient):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients = {}

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients.setdefault(id(pool), self._client(connection_pool=pool))
        return client


class RedisCache(DjangoRedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = RedisCacheClient


# What a Redis that is stopped, restarting or out of reach raises (BusyLoadingError, a restarted
# Redis still loading its data, is a ConnectionError). The callers that can do without Redis catch
# these: sessions read the database, the seat figures are computed; core.middleware answers 503
# for the rest.
UNREACHABLE = (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError)
