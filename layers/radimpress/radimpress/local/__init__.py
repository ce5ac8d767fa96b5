"""The local runtime behind ``make demo``: the pipeline on one machine, no AWS account, no Docker.

Every resource comes from ``template.yaml`` itself (:mod:`radimpress.local.cfn_yaml` reads it,
:mod:`radimpress.local.resolve` resolves it), so the demo and a deployment cannot drift: same logical
resources, same properties, same function environments.
Nothing here is imported by a Lambda handler; the submodules are imported one by one, so importing this
package pulls in nothing.
"""

from __future__ import annotations

__all__: list[str] = []
