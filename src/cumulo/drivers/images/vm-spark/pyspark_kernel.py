# Run by the "PySpark" kernel of cumulo/vm-spark as it starts: a Spark session on the
# deployment's cluster (spark.master and the rest from /etc/spark/spark-defaults.conf,
# written by the hub's configure operation), as `spark` and `sc`, like the pyspark shell.
import os

from pyspark.sql import SparkSession

spark = SparkSession.builder.appName(
    f"notebook of {os.environ.get('JUPYTERHUB_USER', 'jupyter')}"
).getOrCreate()
sc = spark.sparkContext
