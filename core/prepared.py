"""Querysets compiled to SQL once per process, for the few reads every page of the rush makes.

Turning a queryset into SQL costs the ORM far more than running it: loading the user with
`User.objects.get(pk=…)` takes about 0.7 ms of CPU, of which 0.5 ms is compiling; the enrollment
with its exam and area about 1.7 ms. A `Prepared` query is written as an ordinary queryset whose
parameters are placeholders (`Param("pk")`); it is compiled on first use, and every call after that
sends the same SQL with new values and builds the rows with the ORM's own converters and
select_related populators, so what comes back is exactly what the queryset would have returned.

Only for querysets whose SQL does not depend on the values (plain `=` filters on a fixed shape);
`Prepared` refuses a queryset where a placeholder does not reach the SQL parameters untouched."""
from __future__ import annotations

import itertools
import threading
from collections.abc import Callable

from django.db import connections
from django.db.models.query import get_related_populators


class Param(int):
    """A placeholder for a value given at call time. An int subclass so that integer lookups accept
    it; each placeholder has a distinctive negative value by which it is found among the SQL
    parameters (the lookups may turn it into a plain int of the same value)."""

    _numbers = itertools.count(7_304_158_000)  # next() is atomic: threads never share a number

    def __new__(cls, name: str):
        value = super().__new__(cls, -next(Param._numbers))
        value.name = name
        return value


class StrParam(str):
    """A placeholder for a string value (see Param)."""

    def __new__(cls, name: str):
        value = super().__new__(cls, f"\x00prepared:{name}\x00")
        value.name = name
        return value


class Prepared:
    """`Prepared(lambda p: Model.objects.select_related(…).filter(pk=p.pk, …))`, then `.first(pk=…)`,
    `.all(…)` or `.rows(…)` (plain tuples, for values_list querysets)."""

    def __init__(self, build: Callable, *, using: str = "default"):
        self._build, self._using = build, using
        self._compiled: dict[str, tuple] = {}  # per database vendor
        self._lock = threading.Lock()

    def _compile(self):
        connection = connections[self._using]
        compiled = self._compiled.get(connection.vendor)
        if compiled is not None:
            return compiled
        placeholders = _Placeholders()
        queryset = self._build(placeholders)
        compiler = queryset.query.get_compiler(using=self._using)
        sql, params = compiler.as_sql()
        by_value = dict(zip(placeholders.values, placeholders.names, strict=True))
        slots = [by_value.get(value, _Fixed(value)) if isinstance(value, (int, str)) else _Fixed(value)
                 for value in params]
        if set(placeholders.names) - {slot for slot in slots if isinstance(slot, str)}:
            # A lookup changed the value (e.g. __contains wraps it in %…%): the SQL is not reusable.
            raise ValueError("a placeholder does not reach the SQL parameters unchanged: not preparable")
        fields = [column[0] for column in compiler.select[: compiler.col_count]]
        converters = compiler.get_converters(fields)
        klass_info = compiler.klass_info
        model_info = None
        if klass_info is not None and queryset._iterable_class.__name__ == "ModelIterable":
            select_fields = klass_info["select_fields"]
            start, end = select_fields[0], select_fields[-1] + 1
            init_list = [column[0].target.attname for column in compiler.select[start:end]]
            model_info = (klass_info["model"], start, end, init_list,
                          get_related_populators(klass_info, compiler.select, self._using),
                          dict(compiler.annotation_col_map or {}))
        compiled = (sql, slots, compiler, converters, model_info)
        with self._lock:
            self._compiled[connection.vendor] = compiled
        return compiled

    def rows(self, **values) -> list[tuple]:
        sql, slots, _compiler, converters, _model = self._compile()
        params = [values[slot] if isinstance(slot, str) else slot.value for slot in slots]
        connection = connections[self._using]  # this thread's: the compiler's may be another thread's
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            rows = cursor.fetchall()
        if converters:
            rows = [tuple(_convert(row, converters, connection)) for row in rows]
        return rows

    def all(self, **values) -> list:
        """Model instances, with their select_related objects and annotations, as the queryset would give them."""
        _sql, _slots, _compiler, _converters, model = self._compile()
        if model is None:
            raise TypeError("not a queryset of model instances: use rows()")
        model_cls, start, end, init_list, populators, annotations = model
        objects = []
        for row in self.rows(**values):
            obj = model_cls.from_db(self._using, init_list, row[start:end])
            for populator in populators:
                populator.populate(row, obj)
            for name, position in annotations.items():
                setattr(obj, name, row[position])
            objects.append(obj)
        return objects

    def first(self, **values):
        found = self.all(**values)
        return found[0] if found else None


def _convert(row, converters: dict, connection) -> list:
    """SQLCompiler.apply_converters for one row, with the calling thread's connection."""
    values = list(row)
    for position, (functions, expression) in converters.items():
        value = values[position]
        for function in functions:
            value = function(value, expression, connection)
        values[position] = value
    return values


class _Fixed:
    __slots__ = ("value",)

    def __init__(self, value):
        self.value = value


class _Placeholders:
    """`p.name` makes an int placeholder, `p.str("name")` a string one."""

    def __init__(self):
        self.names: list[str] = []
        self.values: list = []

    def __getattr__(self, name: str) -> Param:
        if name.startswith("_"):
            raise AttributeError(name)
        return self._keep(Param(name))

    def str(self, name: str) -> StrParam:
        return self._keep(StrParam(name))

    def _keep(self, value):
        self.names.append(value.name)
        self.values.append(value)
        return value
