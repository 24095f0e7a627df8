"""Tests of the working calendar (sim.calendar), written to read like API examples."""

from __future__ import annotations

import datetime as dt
import functools
import math
import time
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.calendar import CalendarCoverageWarning, Shifts, WorkCalendar
from sim.errors import ScenarioError
from sim.scenario.model import (
    Admission,
    CalendarSpec,
    JointMeetings,
    Office,
    ProblemRouting,
    Scenario,
    ScenarioMeta,
    Volunteers,
    VolunteerWindow,
)

D = dt.date
T = dt.datetime
JAN1_2019 = D(2019, 1, 1)   # a Tuesday


@functools.cache
def cal(kind: str) -> WorkCalendar:
    """Calendars for 2019 with default office hours 08:30-12:00 and 14:30-18:00."""
    return WorkCalendar.build(kind, JAN1_2019, 365)


# ---- working days ----------------------------------------------------------------------


def test_cn_2019_has_250_working_days():
    c = cal("cn")
    assert c.working_days_in(D(2019, 1, 1), D(2019, 12, 31)) == 250
    assert int(c.working_day[:365].sum()) == 250


def test_cn_adjusted_weekends_and_national_day():
    c = cal("cn")
    assert D(2019, 9, 29).weekday() == 6 and c.is_working_day(D(2019, 9, 29))
    assert D(2019, 10, 12).weekday() == 5 and c.is_working_day(D(2019, 10, 12))
    for day in range(1, 8):
        assert not c.is_working_day(D(2019, 10, day))
    assert c.working_days_in(D(2019, 10, 1), D(2019, 10, 7)) == 0
    # a day index works as well as a date
    assert c.is_working_day((D(2019, 10, 12) - JAN1_2019).days)


def test_weekdays_2019_has_261_working_days():
    c = cal("weekdays")
    assert c.working_days_in(D(2019, 1, 1), D(2019, 12, 31)) == 261
    assert c.is_working_day(D(2019, 10, 1))          # no public holidays here
    assert not c.is_working_day(D(2019, 10, 12))     # a Saturday


def test_always_every_day_is_a_working_day_24_hours():
    c = cal("always")
    assert c.working_day.all()
    assert c.hours_per_working_day == 24.0
    assert c.shifts == Shifts.always()
    assert c.is_open(c.time_of(T(2019, 10, 1, 3, 0)))


def test_calendar_covers_horizon_plus_margin():
    c = WorkCalendar.build("weekdays", JAN1_2019, 10, margin_days=20)
    assert c.horizon_days == 10 and c.n_days == 30 and c.working_day.shape == (30,)
    with pytest.raises(ValueError):
        c.is_working_day(30)


def test_extra_holidays_and_working_days_take_effect():
    plain = cal("weekdays")
    c = WorkCalendar.build("weekdays", JAN1_2019, 365,
                           extra_holidays=(D(2019, 1, 2),),
                           extra_working_days=(D(2019, 1, 5),))   # a Saturday
    assert plain.is_working_day(D(2019, 1, 2)) and not c.is_working_day(D(2019, 1, 2))
    assert not plain.is_working_day(D(2019, 1, 5)) and c.is_working_day(D(2019, 1, 5))
    assert not c.is_open(c.time_of(T(2019, 1, 2, 9)))
    assert c.is_open(c.time_of(T(2019, 1, 5, 9)))
    assert c.working_days_in(D(2019, 1, 1), D(2019, 12, 31)) == 261
    # Tue 1 Jan + 1 working day is now Thu 3 Jan, + 3 is Sat 5 Jan
    t = c.time_of(T(2019, 1, 1, 9))
    assert c.deadline(t, 1) == c.time_of(T(2019, 1, 3, 18))
    assert c.deadline(t, 3) == c.time_of(T(2019, 1, 5, 18))


def test_extra_days_apply_on_top_of_cn():
    c = WorkCalendar.build("cn", JAN1_2019, 365,
                           extra_holidays=(D(2019, 9, 29),),
                           extra_working_days=(D(2019, 10, 2),))
    assert not c.is_working_day(D(2019, 9, 29))
    assert c.is_working_day(D(2019, 10, 2))
    assert c.working_days_in(D(2019, 1, 1), D(2019, 12, 31)) == 250


# ---- chinesecalendar coverage ----------------------------------------------------------


def test_cn_outside_chinesecalendar_data_warns_once_and_uses_monday_to_friday():
    start = D(2026, 6, 1)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        c = WorkCalendar.build("cn", start, 400)
    coverage = [w for w in caught if issubclass(w.category, CalendarCoverageWarning)]
    assert len(coverage) == 1
    message = str(coverage[0].message)
    last = start + dt.timedelta(days=400 - 1)       # the horizon's last day, not the margin's
    assert f"2027-01-01..{last}" in message and "Monday-Friday" in message
    # 2026 still follows the official calendar: National Day is a holiday
    assert not c.is_working_day(D(2026, 10, 1))
    # 2027 onwards is plain Monday-Friday (1 Jan 2027 is a Friday, 1 Oct 2027 too)
    k0 = (D(2027, 1, 1) - start).days
    days = np.arange(k0, c.n_days)
    weekday = np.array([(start + dt.timedelta(days=int(k))).weekday() for k in days])
    np.testing.assert_array_equal(c.working_day[k0:], weekday < 5)
    assert c.is_working_day(D(2027, 10, 1))


def test_uncovered_days_only_in_the_margin_do_not_warn_but_follow_monday_to_friday():
    start = D(2025, 1, 1)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        c = WorkCalendar.build("cn", start, 365)        # the margin reaches into 2027
    assert c.n_days > (D(2027, 12, 31) - start).days
    assert c.is_working_day(D(2027, 10, 1))             # a Friday, by the fallback rule
    assert not c.is_working_day(D(2025, 10, 1))         # National Day, by the official data


def test_cn_inside_chinesecalendar_data_does_not_warn():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        WorkCalendar.build("cn", D(2019, 1, 1), 365)


# ---- deadlines -------------------------------------------------------------------------


def test_cn_deadline_skips_national_day_and_counts_adjusted_saturday():
    c = cal("cn")
    received = c.time_of(T(2019, 9, 30, 9, 0))
    due = c.deadline(received, 5)
    # Oct 1-7 are holidays; Oct 8, 9, 10, 11 and Saturday Oct 12 are days 1..5
    assert due == c.time_of(T(2019, 10, 12, 18, 0))
    assert c.date_of(due) == D(2019, 10, 12)


def test_cn_deadline_received_on_a_holiday():
    c = cal("cn")
    assert c.deadline(c.time_of(T(2019, 10, 3, 15)), 1) == c.time_of(T(2019, 10, 8, 18))


def test_weekdays_deadline():
    c = cal("weekdays")
    friday = c.time_of(T(2019, 1, 4, 10, 0))
    assert c.deadline(friday, 1) == c.time_of(T(2019, 1, 7, 18))      # Monday
    assert c.deadline(friday, 5) == c.time_of(T(2019, 1, 11, 18))     # next Friday
    saturday_night = c.time_of(T(2019, 1, 5, 23, 0))
    assert c.deadline(saturday_night, 1) == c.time_of(T(2019, 1, 7, 18))


def test_always_deadline_is_end_of_nth_day_after():
    c = cal("always")
    t = 3 * 24 + 10.0
    assert c.deadline(t, 2) == (3 + 2 + 1) * 24.0
    assert c.deadline(t, 1) == c.time_of(D(2019, 1, 6))


def test_deadline_needs_at_least_one_day():
    with pytest.raises(ValueError):
        cal("weekdays").deadline(10.0, 0)


def test_working_days_late():
    c = cal("weekdays")
    due = c.time_of(T(2019, 1, 4, 18))                          # Friday close
    assert c.working_days_late(due, due - 1.0) == 0.0
    assert c.working_days_late(due, due) == 0.0
    assert c.working_days_late(due, c.time_of(T(2019, 1, 6, 12))) == 0.0   # weekend
    assert c.working_days_late(due, c.time_of(T(2019, 1, 7, 18))) == pytest.approx(1.0)
    assert c.working_days_late(due, c.time_of(T(2019, 1, 8, 10))) == pytest.approx(8.5 / 7)


# ---- working-hours arithmetic ----------------------------------------------------------


def test_task_spanning_days_skips_night_and_lunch():
    c = cal("weekdays")
    start = c.time_of(T(2019, 1, 2, 17, 0))
    assert c.add_working_hours(start, 3.0) == c.time_of(T(2019, 1, 3, 10, 30))
    # one hour before lunch, one after the 12:00-14:30 break
    assert c.add_working_hours(c.time_of(T(2019, 1, 2, 11)), 2.0) == c.time_of(
        T(2019, 1, 2, 15, 30))
    # Friday evening work goes on on Monday
    assert c.add_working_hours(c.time_of(T(2019, 1, 4, 17)), 3.0) == c.time_of(
        T(2019, 1, 7, 10, 30))
    assert c.working_hours_between(start, c.time_of(T(2019, 1, 3, 10, 30))) == 3.0


def test_work_ending_at_close_returns_the_close():
    c = cal("weekdays")
    t = c.time_of(T(2019, 1, 2, 17))
    assert c.add_working_hours(t, 1.0) == c.time_of(T(2019, 1, 2, 18))
    assert c.add_working_hours(c.time_of(T(2019, 1, 2, 11)), 1.0) == c.time_of(T(2019, 1, 2, 12))


def test_next_open_and_interval_end():
    c = cal("weekdays")
    lunch = c.time_of(T(2019, 1, 2, 12, 0))                 # exactly at an interval end
    assert c.next_open(lunch) == c.time_of(T(2019, 1, 2, 14, 30))
    assert c.interval_end(lunch) == c.time_of(T(2019, 1, 2, 18))
    morning = c.time_of(T(2019, 1, 2, 9))
    assert c.next_open(morning) == morning
    assert c.interval_end(morning) == c.time_of(T(2019, 1, 2, 12))
    assert c.add_working_hours(lunch, 0.0) == c.next_open(lunch)
    saturday = c.time_of(T(2019, 1, 5, 9))
    assert c.next_open(saturday) == c.time_of(T(2019, 1, 7, 8, 30))
    assert c.next_open(1e9) == float("inf")
    assert c.add_working_hours(1e9, 1.0) == float("inf")


def test_closing_times():
    w = cal("weekdays")
    # 2019-01-01..07: Tue-Fri are working days, then Sat, Sun, Mon
    assert w.closing_times(0, 6) == [18.0, 42.0, 66.0, 90.0, 162.0]
    assert w.closing_times(D(2019, 1, 5), D(2019, 1, 6)) == []
    assert cal("always").closing_times(0, 2) == [24.0, 48.0, 72.0]
    assert cal("cn").closing_times(D(2019, 1, 1), D(2019, 1, 1)) == []   # New Year's Day


def test_always_has_no_daylight_saving_time():
    c = cal("always")
    # 2019-03-31 and 2019-10-27: clocks change in Europe, not here
    for day in (D(2019, 3, 31), D(2019, 10, 27), D(2019, 11, 3)):
        t0 = c.time_of(day)
        assert c.time_of(day + dt.timedelta(days=1)) - t0 == 24.0
        assert c.add_working_hours(t0 - 12.0, 48.0) == t0 + 36.0
        assert c.working_hours_between(t0, t0 + 24.0) == 24.0
        assert c.date_of(t0 + 23.999) == day
        assert c.day_of(t0) == (day - JAN1_2019).days
    assert c.time_of(T(2019, 3, 31, 2, 30)) == c.time_of(D(2019, 3, 31)) + 2.5


def test_time_of_and_date_of_round_trip():
    c = cal("cn")
    t = c.time_of(T(2019, 2, 3, 4, 5, 6))
    assert t == pytest.approx(33 * 24 + 4 + 5 / 60 + 6 / 3600)
    assert c.date_of(t) == D(2019, 2, 3)
    assert c.day_of(t) == 33


# ---- Shifts ----------------------------------------------------------------------------


def test_from_intervals_sorts_and_merges():
    s = Shifts.from_intervals([(5.0, 7.0), (1.0, 2.0), (2.0, 3.0), (6.0, 8.0), (9.0, 9.0)])
    assert list(s) == [(1.0, 3.0), (5.0, 8.0)]
    assert s.starts.tolist() == [1.0, 5.0]
    assert s.ends_list == [3.0, 8.0]
    assert s.cum.tolist() == [0.0, 2.0]
    assert s.total_hours == 5.0
    assert s.hours_between(0.0, 100.0) == 5.0
    assert s.add_hours(2.5, 1.0) == 5.5
    with pytest.raises(ValueError):
        Shifts.from_intervals([(3.0, 2.0)])
    with pytest.raises(ValueError):
        s.add_hours(1.0, -1.0)


def test_shifts_are_immutable():
    s = Shifts.from_intervals([(1.0, 2.0)])
    with pytest.raises(AttributeError):
        s.foo = 1
    with pytest.raises(ValueError):
        s.starts[0] = 0.0


def test_always_shifts():
    s = Shifts.always()
    assert s.next_open(-3.0) == 0.0
    assert s.next_open(5.0) == 5.0
    assert s.add_hours(5.0, 100.0) == 105.0
    assert s.hours_between(5.0, 105.0) == 100.0
    assert s.interval_end(5.0) == float("inf")
    np.testing.assert_array_equal(s.instant_at([0.0, 2.5]), [0.0, 2.5])


def test_from_weekly_windows_ignores_holidays():
    # 2019-01-01 is a Tuesday, 2019-01-05 a Saturday
    s = Shifts.from_weekly_windows(JAN1_2019, 365, Volunteers().windows)
    assert list(s)[:5] == [(19.0, 21.0), (43.0, 45.0), (67.0, 69.0), (91.0, 93.0),
                           (4 * 24 + 9.0, 4 * 24 + 12.0)]
    national_day = (D(2019, 10, 1) - JAN1_2019).days * 24.0      # a Tuesday off work
    assert s.is_open(national_day + 20.0)
    assert not s.is_open(national_day + 10.0)
    weeks = 52
    assert s.hours_between(0.0, weeks * 7 * 24.0) == weeks * (5 * 2 + 2 * 3)


def test_vectorised_hours_match_scalar():
    s = cal("cn").shifts
    t = np.array([-5.0, 0.0, 40.0, 1000.3, 5000.0, 20000.0])
    expected = [s.hours_between(-1.0, x) for x in t]
    np.testing.assert_allclose(s.hours_before(t), expected, rtol=0, atol=1e-9)


def test_instant_at_places_working_hours_in_office_time():
    s = cal("weekdays").shifts
    # 0 h is the first opening, 3.5 h a boundary (maps to the next opening), 7 h the close
    np.testing.assert_array_equal(s.instant_at([0.0, 3.5, 4.0, 7.0]),
                                  [8.5, 14.5, 15.0, 24.0 + 8.5])
    assert s.instant_at(s.total_hours).item() == s.ends[-1]
    assert s.instant_at(s.total_hours + 1.0).item() == float("inf")
    rng = np.random.default_rng(1)
    arrivals = s.instant_at(np.sort(rng.uniform(0.0, 7.0 * 261, size=1000)))
    assert all(s.is_open(a) for a in arrivals)


# ---- property tests --------------------------------------------------------------------


@functools.cache
def shifts_of(name: str) -> Shifts:
    if name == "volunteers":
        return Shifts.from_weekly_windows(JAN1_2019, 800, Volunteers().windows)
    return cal(name).shifts


SHIFTS = ["weekdays", "cn", "volunteers"]
times = st.floats(min_value=-10.0, max_value=24.0 * 700, allow_nan=False)
hours = st.floats(min_value=0.0, max_value=2000.0, allow_nan=False)


@pytest.mark.parametrize("name", SHIFTS)
@settings(max_examples=300, deadline=None)
@given(t=times, h=hours)
def test_add_hours_then_hours_between_gives_back_h(name, t, h):
    s = shifts_of(name)
    end = s.add_hours(t, h)
    assert end >= t
    if math.isinf(end):      # ran out of intervals: not that many hours left after t
        assert s.hours_between(t, end) < h
    else:
        assert s.hours_between(t, end) == pytest.approx(h, rel=1e-9, abs=1e-9)


@pytest.mark.parametrize("name", SHIFTS)
@settings(max_examples=300, deadline=None)
@given(t=times, h1=hours, h2=hours)
def test_add_hours_is_monotone_in_h(name, t, h1, h2):
    s = shifts_of(name)
    lo, hi = min(h1, h2), max(h1, h2)
    assert s.add_hours(t, lo) <= s.add_hours(t, hi)


@pytest.mark.parametrize("name", SHIFTS)
@settings(max_examples=300, deadline=None)
@given(t=times)
def test_next_open_is_open_and_not_before_t(name, t):
    s = shifts_of(name)
    o = s.next_open(t)
    assert o >= t
    assert s.is_open(o)
    assert s.interval_end(t) > o
    assert not s.is_open(s.interval_end(t))
    assert s.add_hours(t, 0.0) == o
    assert s.hours_between(t, o) == 0.0


@pytest.mark.parametrize("name", SHIFTS)
@settings(max_examples=300, deadline=None)
@given(data=st.data())
def test_instant_at_inverts_hours_before_on_open_instants(name, data):
    s = shifts_of(name)
    i = data.draw(st.integers(0, len(s) - 1))
    frac = data.draw(st.floats(0.0, 1.0 - 1e-6))
    x = s.starts[i] + frac * (s.ends[i] - s.starts[i])
    assert s.is_open(x)
    assert s.instant_at(s.hours_before(x)).item() == pytest.approx(x, rel=0, abs=1e-9)


# ---- validation ------------------------------------------------------------------------


@pytest.mark.parametrize("office_hours", [
    ((14.5, 18.0), (8.5, 12.0)),     # not sorted
    ((8.0, 12.0), (11.0, 18.0)),     # overlapping
    ((8.0, 12.0), (14.0, 25.0)),     # past midnight
    ((-1.0, 12.0),),                 # before midnight
    ((12.0, 12.0),),                 # empty
    ((18.0, 8.5),),                  # ends before it starts
    (),                              # none at all
])
def test_invalid_office_hours_raise_scenario_error(office_hours):
    with pytest.raises(ScenarioError) as info:
        WorkCalendar.build("weekdays", JAN1_2019, 30, office_hours=office_hours)
    assert info.value.field == "calendar.office_hours"
    assert "calendar.office_hours" in str(info.value)
    assert info.value.allowed


def test_unknown_kind_raises_scenario_error():
    with pytest.raises(ScenarioError) as info:
        WorkCalendar.build("lunar", JAN1_2019, 30)
    assert info.value.field == "scenario.calendar"
    assert "always" in info.value.allowed


def test_custom_office_hours():
    c = WorkCalendar.build("weekdays", JAN1_2019, 30, office_hours=((9.0, 17.0),))
    assert c.hours_per_working_day == 8.0
    assert c.deadline(c.time_of(T(2019, 1, 1, 10)), 1) == c.time_of(T(2019, 1, 2, 17))
    assert c.add_working_hours(c.time_of(T(2019, 1, 1, 16)), 2.0) == c.time_of(T(2019, 1, 2, 10))


# ---- from_scenario and build cost ------------------------------------------------------


def test_from_scenario_reads_scenario_and_calendar_tables():
    scenario = Scenario(
        scenario=ScenarioMeta(name="x", days=100, start_date=D(2019, 9, 1), calendar="cn"),
        calendar=CalendarSpec(office_hours=((9.0, 12.0), (13.0, 17.0)),
                              extra_holidays=(D(2019, 9, 2),)),
        office=Office(workers=3), admission=Admission(), tasks=(),
        problems=ProblemRouting(), volunteers=Volunteers(), joint_meetings=JointMeetings(),
    )
    c = WorkCalendar.from_scenario(scenario)
    assert (c.kind, c.start_date, c.horizon_days) == ("cn", D(2019, 9, 1), 100)
    assert c.hours_per_working_day == 7.0
    assert not c.is_working_day(D(2019, 9, 2))
    assert c.is_working_day(D(2019, 9, 29))
    assert c.closing_times(D(2019, 9, 3), D(2019, 9, 3)) == [c.time_of(T(2019, 9, 3, 17))]


def test_volunteer_window_type_is_accepted():
    s = Shifts.from_weekly_windows(D(2019, 1, 7), 7, [VolunteerWindow((0,), 9.0, 10.0)])
    assert list(s) == [(9.0, 10.0)]


def test_one_year_cn_calendar_builds_quickly():
    WorkCalendar.build("cn", JAN1_2019, 365)          # fill the chinesecalendar cache
    t0 = time.perf_counter()
    WorkCalendar.build("cn", JAN1_2019, 365)
    assert time.perf_counter() - t0 < 0.05


def _office_year() -> Shifts:
    return WorkCalendar.build("weekdays", dt.date(2024, 1, 1), 365,
                              office_hours=((8.5, 12.0), (14.5, 18.0))).shifts


@pytest.mark.parametrize("shifts", [_office_year(), Shifts.always(), Shifts(np.empty(0), np.empty(0)),
                                    Shifts.from_intervals([(0.0, 1.0), (2.0, 3.25)])],
                         ids=["office", "always", "empty", "two"])
def test_add_hours_many_is_add_hours_of_each(shifts: Shifts) -> None:
    """The vectorised add_hours gives add_hours's numbers bit for bit (boundaries, beyond
    the last interval, spilling over many intervals; scalar or per-element hours)."""
    rng = np.random.default_rng(7)
    bounds = [x for x in (*shifts.starts_list, *shifts.ends_list) if math.isfinite(x)]
    for k in range(100):
        size = (0, 5, 40, 200)[k % 4]    # (few instants take the scalar method)
        t = rng.uniform(-30.0, 12000.0, size)
        if bounds and size:
            t[:5] = rng.choice(bounds, 5)
        h = rng.uniform(0.0, 300.0, size) if k % 3 else float(rng.choice([0.0, 0.5, 3.5, 1e6]))
        want = [shifts.add_hours(float(a), float(b)) for a, b in zip(t, np.broadcast_to(h, t.shape),
                                                                        strict=True)]
        assert shifts.add_hours_many(t, h).tolist() == want


def test_without_ranges_is_the_kept_intervals() -> None:
    year = _office_year()
    rng = np.random.default_rng(3)
    for _ in range(50):
        ranges = [(int(a), int(a + rng.integers(0, 5))) for a in rng.integers(0, len(year), 8)]
        keep = np.ones(len(year), dtype=bool)
        for lo, hi in ranges:
            keep[lo:hi] = False
        got = year.without_ranges(ranges)
        want = Shifts(year.starts[keep], year.ends[keep])
        assert got == want and got.cum.tolist() == want.cum.tolist()
        assert got.total_hours == want.total_hours
