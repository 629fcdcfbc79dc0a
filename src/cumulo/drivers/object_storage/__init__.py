"""Object storage: ``tosca.nodes.indigo.S3Bucket`` on the S3 service a site declares.

``service.py`` reads the site's S3 settings and admin keys, ``names.py`` names
buckets and users, ``admin_ops.py`` speaks radosgw's admin API, ``buckets.py``
makes and removes buckets, and ``site_driver.WithBuckets`` adds them to the
driver of any site kind (see docs/object-storage.md).
"""
