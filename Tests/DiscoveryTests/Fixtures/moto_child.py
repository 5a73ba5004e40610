#!/usr/bin/env python3
"""Runs `moto.server` for a test, and exits when the test process goes away.

Usage: moto_child.py PORT   (listens on 127.0.0.1:PORT)

The test keeps this process's stdin open; when the test process ends, even by a crash, stdin
reaches end of file and the server exits, so no moto server outlives the tests.
"""
import os
import sys
import threading


def exit_when_parent_is_gone():
    sys.stdin.read()
    os._exit(0)


def teach_tag_resources_ec2_s3_elbv2():
    """moto's Resource Groups Tagging API TagResources knows RDS and Lambda but answers EC2 instances and
    volumes, S3 buckets and ELBv2 load balancers with "Service not yet supported", where AWS tags them.
    This teaches it those, through moto's own backends (so DescribeInstances, GetBucketTagging and
    DescribeTags then show the tags); a resource that does not exist lands in FailedResourcesMap, as on AWS.
    """
    from moto.resourcegroupstaggingapi.models import ResourceGroupsTaggingAPIBackend

    original = ResourceGroupsTaggingAPIBackend.tag_resources

    def tag_resources(self, resource_arns, tags):
        rest, failed = [], {}
        as_list = [{"Key": k, "Value": v} for k, v in tags.items()]
        for arn in resource_arns:
            parts = arn.split(":", 5)
            if len(parts) != 6:
                rest.append(arn)
                continue
            service, resource = parts[2], parts[5]
            try:
                if service == "ec2" and resource.startswith(("instance/", "volume/")):
                    ident = resource.split("/", 1)[1]
                    if resource.startswith("instance/"):
                        self.ec2_backend.get_instance(ident)
                    else:
                        self.ec2_backend.get_volume(ident)
                    self.ec2_backend.create_tags([ident], tags)
                elif service == "s3":
                    bucket = self.s3_backend.get_bucket(resource)
                    self.s3_backend.tagger.tag_resource(bucket.arn, as_list)
                elif service == "elasticloadbalancing":
                    self.elbv2_backend.add_tags([arn], as_list)
                else:
                    rest.append(arn)
            except Exception as error:  # noqa: BLE001 - any refusal is the resource's failure, as on AWS
                failed[arn] = {"StatusCode": 400, "ErrorCode": "InvalidParameterException", "ErrorMessage": str(error)}
        if rest:
            failed.update(original(self, rest, tags))
        return failed

    ResourceGroupsTaggingAPIBackend.tag_resources = tag_resources


def main():
    port = sys.argv[1]
    threading.Thread(target=exit_when_parent_is_gone, daemon=True).start()
    teach_tag_resources_ec2_s3_elbv2()
    from moto.server import main as moto_main
    moto_main(["-H", "127.0.0.1", "-p", port])


if __name__ == "__main__":
    main()
