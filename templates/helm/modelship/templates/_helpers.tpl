{{/* chart name and version, as the helm.sh/chart label holds them. */}}
{{- define "modelship.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* The serving image: image.repository at image.tag, or at the chart's appVersion. */}}
{{- define "modelship.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}

{{- define "modelship.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default .Values.model.name .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{/* Labels every object carries: Helm's recommended ones and Modelship's. */}}
{{- define "modelship.labels" -}}
helm.sh/chart: {{ include "modelship.chart" . }}
app.kubernetes.io/name: modelship
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
modelship.dev/model: {{ .Values.model.name | quote }}
modelship.dev/environment: {{ .Values.environment | quote }}
{{- end -}}

{{/*
Labels that pick one colour's pods (root, colour); without a colour, every pod of the model. The
release name stays out: selectors are immutable, and the kubernetes target of `modelship deploy`
applies the same ones.
*/}}
{{- define "modelship.selector" -}}
app.kubernetes.io/name: modelship
modelship.dev/model: {{ .root.Values.model.name | quote }}
{{- if .colour }}
modelship.dev/colour: {{ .colour }}
{{- end }}
{{- end -}}

{{/* The pod template of a colour's Deployment or of the Rollout (root, colour). */}}
{{- define "modelship.podTemplate" -}}
{{- $v := .root.Values -}}
{{- $modelUri := printf "/models/%s/%s" $v.model.name $v.model.version -}}
{{- $image := include "modelship.image" .root -}}
{{- $log := $v.predictionLog -}}
metadata:
  labels:
    {{- include "modelship.selector" . | nindent 4 }}
    modelship.dev/version: {{ $v.model.version | replace "+" "-" | trunc 63 | quote }}
    modelship.dev/environment: {{ $v.environment | quote }}
    app.kubernetes.io/instance: {{ .root.Release.Name }}
  annotations:
    modelship.dev/version: {{ $v.model.version | quote }}
    modelship.dev/model-uri: {{ $modelUri | quote }}
    {{- with $v.podAnnotations }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
spec:
  serviceAccountName: {{ include "modelship.serviceAccountName" .root }}
  automountServiceAccountToken: false
  {{- with $v.imagePullSecrets }}
  imagePullSecrets:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  securityContext:
    runAsNonRoot: true
    runAsUser: 1000
    {{- if and $log.enabled $log.persistentVolumeClaim }}
    fsGroup: 1000
    {{- end }}
    seccompProfile:
      type: RuntimeDefault
  terminationGracePeriodSeconds: 30
  {{- with $v.nodeSelector }}
  nodeSelector:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with $v.affinity }}
  affinity:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with $v.tolerations }}
  tolerations:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  volumes:
    - name: model
      emptyDir: {}
    {{- if $log.enabled }}
    - name: predictions
      {{- if $log.persistentVolumeClaim }}
      persistentVolumeClaim:
        claimName: {{ $log.persistentVolumeClaim }}
      {{- else }}
      emptyDir:
        sizeLimit: {{ printf "%dMi" (addf $log.maxLogMB (mulf 2 $log.rotateMB) | ceil | int) }}
      {{- end }}
    {{- end }}
  initContainers:
    - name: fetch-model
      image: {{ $image | quote }}
      imagePullPolicy: {{ $v.image.pullPolicy }}
      args:
        - fetch-model
        - --dir
        - /models
      env:
        - name: MODELSHIP_MODEL_NAME
          value: {{ $v.model.name | quote }}
        - name: MODELSHIP_MODEL_VERSION
          value: {{ $v.model.version | quote }}
        - name: MODELSHIP_MODEL_ARTIFACTS
          value: {{ $v.model.artifacts | toJson | quote }}
        - name: MODELSHIP_REGISTRY
          value: {{ $v.registry.kind | quote }}
        - name: MODELSHIP_REGISTRY_LOCATION
          value: {{ $v.registry.location | quote }}
        - name: MODELSHIP_TAG_FORMAT
          value: {{ $v.registry.tagFormat | quote }}
        {{- if eq $v.registry.kind "github" }}
        - name: GITHUB_API_URL
          value: {{ $v.registry.apiUrl | quote }}
        {{- end }}
        - name: GITHUB_TOKEN
          valueFrom:
            secretKeyRef:
              name: {{ $v.registry.tokenSecret.name }}
              key: {{ $v.registry.tokenSecret.key }}
              optional: true
      {{- /* The server's CPU and memory, never its GPUs: the fetch needs none. */}}
      resources:
        requests:
          {{- toYaml (pick (default dict $v.resources.requests) "cpu" "memory") | nindent 10 }}
        limits:
          {{- toYaml (pick (default dict $v.resources.limits) "memory") | nindent 10 }}
      volumeMounts:
        - name: model
          mountPath: /models
      securityContext:
        allowPrivilegeEscalation: false
        capabilities:
          drop:
            - ALL
  containers:
    - name: server
      image: {{ $image | quote }}
      imagePullPolicy: {{ $v.image.pullPolicy }}
      args:
        - serve
        - --model
        - {{ $modelUri | quote }}
        - --name
        - {{ $v.model.name | quote }}
        - --model-version
        - {{ $v.model.version | quote }}
        - --host
        - 0.0.0.0
        - --port
        - {{ $v.port | quote }}
        - --max-batch-rows
        - {{ $v.batching.maxBatchRows | int | quote }}
        - --max-queue-delay-us
        - {{ $v.batching.maxQueueDelayUs | int | quote }}
        {{- if $v.batching.preferredBatchRows }}
        - --preferred-batch-rows
        - {{ join "," $v.batching.preferredBatchRows | quote }}
        {{- end }}
        {{- if $log.enabled }}
        - --prediction-log
        - /var/lib/modelship/predictions
        - --log-sample-rate
        - {{ $log.sampleRate | toString | quote }}
        - --log-max-mb
        - {{ $log.maxLogMB | toString | quote }}
        - --log-rotate-mb
        - {{ $log.rotateMB | toString | quote }}
        - --log-max-record-kb
        - {{ $log.maxRecordKB | toString | quote }}
        {{- end }}
      {{- if $log.enabled }}
      env:
        - name: POD_NAME
          valueFrom:
            fieldRef:
              fieldPath: metadata.name
      {{- end }}
      ports:
        - name: http
          containerPort: {{ $v.port }}
          protocol: TCP
      resources:
        {{- toYaml $v.resources | nindent 8 }}
      readinessProbe:
        httpGet:
          path: /v2/health/ready
          port: http
        initialDelaySeconds: 0
        periodSeconds: 10
        timeoutSeconds: 1
        successThreshold: 1
        failureThreshold: 3
      livenessProbe:
        httpGet:
          path: /v2/health/live
          port: http
        initialDelaySeconds: 0
        periodSeconds: 10
        timeoutSeconds: 1
        successThreshold: 1
        failureThreshold: 3
      securityContext:
        allowPrivilegeEscalation: false
        capabilities:
          drop:
            - ALL
      volumeMounts:
        - name: model
          mountPath: /models
          readOnly: true
        {{- if $log.enabled }}
        - name: predictions
          mountPath: /var/lib/modelship/predictions
          subPathExpr: $(POD_NAME)
        {{- end }}
{{- end -}}

{{/* One HorizontalPodAutoscaler spec body (root, kind, apiVersion, name). */}}
{{- define "modelship.autoscalerSpec" -}}
{{- $a := .root.Values.autoscaling -}}
scaleTargetRef:
  apiVersion: {{ .apiVersion }}
  kind: {{ .kind }}
  name: {{ .name }}
minReplicas: {{ $a.minReplicas }}
maxReplicas: {{ max $a.maxReplicas $a.minReplicas }}
metrics:
  {{- if eq $a.metric "cpu" }}
  - type: Resource
    resource:
      name: cpu
      target:
        type: Utilization
        averageUtilization: {{ $a.targetCPUUtilizationPercentage }}
  {{- else }}
  - type: Pods
    pods:
      metric:
        name: modelship_requests_per_second
      target:
        type: AverageValue
        averageValue: {{ $a.targetRequestsPerSecond | quote }}
  {{- end }}
behavior:
  scaleUp:
    stabilizationWindowSeconds: 0
    selectPolicy: Max
    policies:
      - type: Percent
        value: 100
        periodSeconds: 15
      - type: Pods
        value: 4
        periodSeconds: 15
  scaleDown:
    stabilizationWindowSeconds: 300
    selectPolicy: Max
    policies:
      - type: Percent
        value: 100
        periodSeconds: 15
{{- end -}}

{{/* The arguments every analysis of the Rollout passes (root, service). */}}
{{- define "modelship.analysisArgs" -}}
- name: service
  value: {{ .service }}
- name: namespace
  value: {{ .root.Release.Namespace }}
- name: port
  value: {{ .root.Values.port | quote }}
- name: model
  value: {{ .root.Values.model.name }}
{{- end -}}
