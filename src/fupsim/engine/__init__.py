"""The SimPy engine: plays one protocol against a cohort's latent histories.

Patients who do not interact are handled as arrays. SimPy runs the clinic calendar: one
process per protocol arm whose events are the days on which scans fall due. At each such day
every person due is processed at once with numpy (attendance, ultrasound, CT work-up, stop
rule, loss). Clinical presentations between scans follow from the latent times and need no
events of their own. The environment runs to completion, so scans due on the horizon day are
done (a run stopped ``until=horizon`` would silently drop them).

With an unbounded scanner people do not interact, so the process has one event per visit
round. With a service (:class:`fupsim.capacity.Service`: arrivals over time, clinic days,
N slots a day) people compete for slots, so the process steps through clinic days
(:class:`_Calendar`): each day the queue in due-date order takes the free slots, the rest
wait, and every scan is examined on the day it is actually done. The unbounded path works on
whole rows of people (most are followed at every round) and the calendar on the people
served each day, with the same per-person arithmetic: with ample slots they give identical
results (tests/test_capacity.py checks it).
"""

from fupsim.engine.arm import simulate_arm
from fupsim.engine.log import arm_events
from fupsim.engine.state import ArmResult, ServiceLog

__all__ = ["ArmResult", "ServiceLog", "arm_events", "simulate_arm"]
