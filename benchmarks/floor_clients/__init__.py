"""Reference clients: the least a framework integration can cost (issue #18, item 4).

Each does the same HTTP as the package with raw ``httpx`` and stdlib ``json``, and nothing
else: no retries, no error mapping, no reasoning or tool-call handling. The gap between a
package class and its floor is what the package itself adds on top of the framework.
"""
