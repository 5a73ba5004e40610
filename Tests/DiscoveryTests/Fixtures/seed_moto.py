#!/usr/bin/env python3
"""Seed a moto server with an AWS estate for vtag's discovery tests, and print what was made.

Usage (every command also takes --access-key/--secret-key, for a moto that checks signatures):
  seed_moto.py estate    --endpoint URL [--regions us-east-1,eu-west-1] [--prefix NAME]
  seed_moto.py instances --endpoint URL --region R --count N [--batch B] [--prefix NAME]
  seed_moto.py iam-user  --endpoint URL --name NAME [--deny ACTION ...]
  seed_moto.py iam-role  --endpoint URL --name NAME --trust ARN [--external-id ID]

Prints one JSON document on stdout. `estate` prints the expected inventory (type, ARN id, name,
region, tags, relations) so a test can check discovery found every resource as seeded; ids come
from the create calls, never from listing, so the expectation does not depend on the lister
under test. `iam-user` creates a user with an access key (for moto's signature checking) and
prints the key; `--deny` adds an explicit Deny for the given IAM actions. `iam-role` creates an
admin role the principal `--trust` may assume (with the external id, if given) and prints its ARN.
"""
import argparse
import io
import json
import sys
import zipfile

import boto3

# moto's default account; any credentials work while moto does not check signatures.
CREDS = dict(aws_access_key_id="testing", aws_secret_access_key="testing")


def client(service, endpoint, region):
    return boto3.client(service, endpoint_url=endpoint, region_name=region, **CREDS)


def tag_list(tags):
    return [{"Key": k, "Value": v} for k, v in tags.items()]


def ec2_arn(region, account, kind, ident):
    return f"arn:aws:ec2:{region}:{account}:{kind}/{ident}"


def lambda_zip():
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("handler.py", "def handler(event, context):\n    return {'ok': True}\n")
    return buf.getvalue()


def seed_region(endpoint, region, account, prefix, out):
    ec2 = client("ec2", endpoint, region)
    azs = [z["ZoneName"] for z in ec2.describe_availability_zones()["AvailabilityZones"]][:2]
    vpc = ec2.create_vpc(CidrBlock="10.20.0.0/16")["Vpc"]["VpcId"]
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.20.{i}.0/24", AvailabilityZone=az)["Subnet"]["SubnetId"]
        for i, az in enumerate(azs)
    ]
    sg = ec2.create_security_group(GroupName=f"{prefix}-web", Description="web", VpcId=vpc)["GroupId"]

    # Instances: two tagged web servers with an extra data volume each, one without any tag.
    specs = [
        {"Name": f"{prefix}-web-1", "team": "payments", "env": "prod", "CostCenter": "cc-100"},
        {"Name": f"{prefix}-web-2", "team": "payments", "env": "staging"},
        {},
    ]
    for i, tags in enumerate(specs):
        kwargs = dict(ImageId="ami-12c6146b", MinCount=1, MaxCount=1, InstanceType="t3.micro",
                      SubnetId=subnets[0], SecurityGroupIds=[sg])
        if tags:
            kwargs["TagSpecifications"] = [{"ResourceType": "instance", "Tags": tag_list(tags)}]
        inst = ec2.run_instances(**kwargs)["Instances"][0]
        iid = inst["InstanceId"]
        inst_arn = ec2_arn(region, account, "instance", iid)
        relations = [
            {"type": "InVPC", "target": ec2_arn(region, account, "vpc", vpc)},
            {"type": "InSubnet", "target": ec2_arn(region, account, "subnet", subnets[0])},
            {"type": "SecuredBy", "target": ec2_arn(region, account, "security-group", sg)},
        ]
        if tags:
            vol_tags = {"Name": f"{prefix}-data-{i}", "team": tags["team"]}
            vol = ec2.create_volume(AvailabilityZone=inst["Placement"]["AvailabilityZone"], Size=20,
                                    VolumeType="gp3",
                                    TagSpecifications=[{"ResourceType": "volume", "Tags": tag_list(vol_tags)}])
            vid = vol["VolumeId"]
            ec2.attach_volume(VolumeId=vid, InstanceId=iid, Device="/dev/sdf")
            relations.append({"type": "HasVolume", "target": ec2_arn(region, account, "volume", vid)})
            out.append(dict(type="ec2:volume", id=ec2_arn(region, account, "volume", vid), name=vol_tags["Name"],
                            region=region, tags=vol_tags,
                            relations=[{"type": "AttachedTo", "target": inst_arn}]))
        out.append(dict(type="ec2:instance", id=inst_arn, name=tags.get("Name", iid), region=region, tags=tags,
                        relations=relations))

    # A detached, tagged volume.
    loose_tags = {"team": "analytics", "purpose": "scratch"}
    vid = ec2.create_volume(AvailabilityZone=azs[0], Size=5,
                            TagSpecifications=[{"ResourceType": "volume", "Tags": tag_list(loose_tags)}])["VolumeId"]
    out.append(dict(type="ec2:volume", id=ec2_arn(region, account, "volume", vid), name=vid, region=region,
                    tags=loose_tags, relations=[]))

    # RDS: one tagged database.
    rds = client("rds", endpoint, region)
    db_tags = {"team": "payments", "env": "prod", "Name": f"{prefix}-ledger"}
    db = rds.create_db_instance(DBInstanceIdentifier=f"{prefix}-ledger-{region}", DBInstanceClass="db.t3.micro",
                                Engine="postgres", MasterUsername="admin", MasterUserPassword="password123",
                                AllocatedStorage=20, Tags=tag_list(db_tags))["DBInstance"]
    out.append(dict(type="rds:db", id=db["DBInstanceArn"], name=db_tags["Name"], region=region, tags=db_tags,
                    relations=[]))

    # ELBv2: a tagged application load balancer across both subnets.
    elb = client("elbv2", endpoint, region)
    lb_tags = {"team": "edge", "env": "prod"}
    lb = elb.create_load_balancer(Name=f"{prefix}-alb-{region}"[:32], Subnets=subnets, SecurityGroups=[sg],
                                  Scheme="internet-facing", Type="application", Tags=tag_list(lb_tags))
    lb = lb["LoadBalancers"][0]
    out.append(dict(type="elbv2:loadbalancer", id=lb["LoadBalancerArn"], name=lb["LoadBalancerName"], region=region,
                    tags=lb_tags, relations=[{"type": "InVPC", "target": ec2_arn(region, account, "vpc", vpc)}]))

    # Lambda: a tagged function (moto stores it without docker; it just cannot be invoked).
    iam = client("iam", endpoint, region)
    role_name = f"{prefix}-lambda-{region}"
    role = iam.create_role(RoleName=role_name, AssumeRolePolicyDocument=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"},
                       "Action": "sts:AssumeRole"}]}))["Role"]["Arn"]
    fn_tags = {"team": "payments", "app": "ledger"}
    fn = client("lambda", endpoint, region).create_function(
        FunctionName=f"{prefix}-settle-{region}", Runtime="python3.12", Role=role, Handler="handler.handler",
        Code={"ZipFile": lambda_zip()}, Tags=fn_tags)
    out.append(dict(type="lambda:function", id=fn["FunctionArn"], name=fn["FunctionName"], region=region,
                    tags=fn_tags, relations=[]))

    seed_more(endpoint, region, account, prefix, out, vpc, subnets, role)

    # S3: a tagged bucket in this region, and an untagged one (GetBucketTagging says NoSuchTagSet).
    s3 = client("s3", endpoint, region)
    for suffix, tags in (("logs", {"team": "platform", "data-class": "internal"}), ("plain", {})):
        name = f"{prefix}-{suffix}-{region}"
        if region == "us-east-1":
            s3.create_bucket(Bucket=name)
        else:
            s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": region})
        if tags:
            s3.put_bucket_tagging(Bucket=name, Tagging={"TagSet": tag_list(tags)})
        out.append(dict(type="s3:bucket", id=f"arn:aws:s3:::{name}", name=name, region=region, tags=tags,
                        relations=[]))


def seed_more(endpoint, region, account, prefix, out, vpc, subnets, role):
    """The services listed directly beyond the first six (tagged and untagged ones), and a Step Functions
    state machine, which only the Resource Groups Tagging API finds."""
    ecs = client("ecs", endpoint, region)
    cluster_tags = {"team": "platform", "env": "prod"}
    cluster = ecs.create_cluster(clusterName=f"{prefix}-apps-{region}",
                                 tags=[{"key": k, "value": v} for k, v in cluster_tags.items()])["cluster"]
    out.append(dict(type="ecs:cluster", id=cluster["clusterArn"], name=cluster["clusterName"], region=region,
                    tags=cluster_tags, relations=[]))
    # tags=[]: moto's GetResources fails on a cluster created without the argument (its tags are None).
    bare = ecs.create_cluster(clusterName=f"{prefix}-scratch-{region}", tags=[])["cluster"]
    out.append(dict(type="ecs:cluster", id=bare["clusterArn"], name=bare["clusterName"], region=region, tags={},
                    relations=[]))
    task = ecs.register_task_definition(family=f"{prefix}-api", containerDefinitions=[
        {"name": "api", "image": "nginx", "memory": 128}])["taskDefinition"]["taskDefinitionArn"]
    svc_tags = {"team": "payments", "app": "api"}
    svc = ecs.create_service(cluster=cluster["clusterName"], serviceName=f"{prefix}-api", taskDefinition=task,
                             desiredCount=1, tags=[{"key": k, "value": v} for k, v in svc_tags.items()])["service"]
    out.append(dict(type="ecs:service", id=svc["serviceArn"], name=svc["serviceName"], region=region, tags=svc_tags,
                    relations=[{"type": "MemberOf", "target": cluster["clusterArn"]}]))

    ddb = client("dynamodb", endpoint, region)
    for suffix, tags in (("orders", {"team": "payments", "data-class": "confidential"}), ("cache", {})):
        kwargs = dict(TableName=f"{prefix}-{suffix}-{region}", BillingMode="PAY_PER_REQUEST",
                      KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                      AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}])
        if tags:
            kwargs["Tags"] = tag_list(tags)
        table = ddb.create_table(**kwargs)["TableDescription"]
        out.append(dict(type="dynamodb:table", id=table["TableArn"], name=table["TableName"], region=region, tags=tags,
                        relations=[]))

    sqs = client("sqs", endpoint, region)
    for suffix, tags in (("jobs", {"team": "platform"}), ("dead", {})):
        name = f"{prefix}-{suffix}-{region}"
        url = sqs.create_queue(QueueName=name, **({"tags": tags} if tags else {}))["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        out.append(dict(type="sqs:queue", id=arn, name=name, region=region, tags=tags, relations=[]))

    sns = client("sns", endpoint, region)
    topic_tags = {"team": "edge"}
    topic = sns.create_topic(Name=f"{prefix}-alerts-{region}", Tags=tag_list(topic_tags))["TopicArn"]
    out.append(dict(type="sns:topic", id=topic, name=f"{prefix}-alerts-{region}", region=region, tags=topic_tags,
                    relations=[]))

    eks = client("eks", endpoint, region)
    eks_tags = {"team": "platform", "env": "prod"}
    eks_cluster = eks.create_cluster(name=f"{prefix}-k8s-{region}", roleArn=role,
                                     resourcesVpcConfig={"subnetIds": subnets}, tags=eks_tags)["cluster"]
    out.append(dict(type="eks:cluster", id=eks_cluster["arn"], name=eks_cluster["name"], region=region, tags=eks_tags,
                    relations=[]))

    ec = client("elasticache", endpoint, region)
    ec_tags = {"team": "payments"}
    cc = ec.create_cache_cluster(CacheClusterId=f"{prefix}-sessions"[:40], Engine="redis", CacheNodeType="cache.t3.micro",
                                 NumCacheNodes=1, Tags=tag_list(ec_tags))["CacheCluster"]
    out.append(dict(type="elasticache:cluster", id=cc["ARN"], name=cc["CacheClusterId"], region=region, tags=ec_tags,
                    relations=[]))

    sfn = client("stepfunctions", endpoint, region)
    sm_tags = {"team": "payments", "app": "settlement"}
    sm = sfn.create_state_machine(name=f"{prefix}-settle-flow", roleArn=role, definition=json.dumps({
        "StartAt": "Done", "States": {"Done": {"Type": "Succeed"}}}),
        tags=[{"key": k, "value": v} for k, v in sm_tags.items()])["stateMachineArn"]
    out.append(dict(type="states:statemachine", id=sm, name=f"{prefix}-settle-flow", region=region, tags=sm_tags,
                    relations=[]))


def estate(args):
    account = client("sts", args.endpoint, "us-east-1").get_caller_identity()["Account"]
    out = []
    for region in args.regions.split(","):
        seed_region(args.endpoint, region, account, args.prefix, out)
    json.dump({"account": account, "resources": out}, sys.stdout)


def instances(args):
    """Many tagged instances in one region, for paging (run_instances in batches)."""
    ec2 = client("ec2", args.endpoint, args.region)
    made, batch = 0, args.batch
    ids = []
    while made < args.count:
        n = min(batch, args.count - made)
        tags = [{"Key": "team", "Value": f"team-{made // batch}"}, {"Key": "fleet", "Value": args.prefix}]
        res = ec2.run_instances(ImageId="ami-12c6146b", MinCount=n, MaxCount=n, InstanceType="t3.nano",
                                TagSpecifications=[{"ResourceType": "instance", "Tags": tags}])
        ids += [i["InstanceId"] for i in res["Instances"]]
        made += n
    json.dump({"region": args.region, "instanceIds": ids}, sys.stdout)


def iam_user(args):
    iam = client("iam", args.endpoint, "us-east-1")
    iam.create_user(UserName=args.name)
    statements = [{"Effect": "Allow", "Action": "*", "Resource": "*"}]
    if args.deny:
        statements.append({"Effect": "Deny", "Action": args.deny, "Resource": "*"})
    iam.put_user_policy(UserName=args.name, PolicyName="discovery",
                        PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": statements}))
    key = iam.create_access_key(UserName=args.name)["AccessKey"]
    json.dump({"accessKeyId": key["AccessKeyId"], "secretAccessKey": key["SecretAccessKey"]}, sys.stdout)


def iam_role(args):
    iam = client("iam", args.endpoint, "us-east-1")
    statement = {"Effect": "Allow", "Principal": {"AWS": args.trust}, "Action": "sts:AssumeRole"}
    if args.external_id:
        statement["Condition"] = {"StringEquals": {"sts:ExternalId": args.external_id}}
    arn = iam.create_role(RoleName=args.name, AssumeRolePolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [statement]}))["Role"]["Arn"]
    iam.put_role_policy(RoleName=args.name, PolicyName="discovery", PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}))
    json.dump({"roleArn": arn}, sys.stdout)


def main():
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--endpoint", required=True)
    common.add_argument("--access-key", default="testing")
    common.add_argument("--secret-key", default="testing")
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="command", required=True)
    e = sub.add_parser("estate", parents=[common])
    e.add_argument("--regions", default="us-east-1,eu-west-1")
    e.add_argument("--prefix", default="vtag")
    i = sub.add_parser("instances", parents=[common])
    i.add_argument("--region", required=True)
    i.add_argument("--count", type=int, required=True)
    i.add_argument("--prefix", default="fleet")
    i.add_argument("--batch", type=int, default=10, help="instances per run_instances call (one reservation each)")
    u = sub.add_parser("iam-user", parents=[common])
    u.add_argument("--name", required=True)
    u.add_argument("--deny", nargs="*", default=[])
    r = sub.add_parser("iam-role", parents=[common])
    r.add_argument("--name", required=True)
    r.add_argument("--trust", required=True)
    r.add_argument("--external-id")
    args = p.parse_args()
    CREDS.update(aws_access_key_id=args.access_key, aws_secret_access_key=args.secret_key)
    {"estate": estate, "instances": instances, "iam-user": iam_user, "iam-role": iam_role}[args.command](args)


if __name__ == "__main__":
    main()
