"""Every resource of ``template.yaml``, created in the embedded AWS (moto) or stood in for by a local part.

Modules, each importing only those listed above it:

* :mod:`~radimpress.local.resources.local_stack`: the created stack (physical ids, attributes, actions) and
  the names CloudFormation would generate.
* :mod:`~radimpress.local.resources.in_moto`: the types created in moto (:data:`CREATED_TYPES`) and how each
  is created from its resolved properties.
* :mod:`~radimpress.local.resources.stand_ins`: the types stood in for (:data:`STAND_INS`), with the
  physical ids and attributes they answer to.
* :mod:`~radimpress.local.resources.create`: :func:`plan` and :func:`create_stack`, every resource of the
  template created or stood in for, in creation order.
"""
