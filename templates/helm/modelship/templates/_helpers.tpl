{{/* Labels every object carries. */}}
{{- define "modelship.labels" -}}
app.kubernetes.io/name: modelship
modelship.dev/model: {{ .Values.model.name | quote }}
modelship.dev/environment: {{ .Values.environment | quote }}
app.kubernetes.io/managed-by: modelship
{{- end -}}

{{/* Labels that pick one colour's pods (root, colour); without a colour, every pod of the model. */}}
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
metadata:
  labels:
    {{- include "modelship.selector" . | nindent 4 }}
    modelship.dev/version: {{ $v.model.version | replace "+" "-" | trunc 63 | quote }}
    modelship.dev/environment: {{ $v.environment | quote }}
  annotations:
    modelship.dev/version: {{ $v.model.version | quote }}
    modelship.dev/model-uri: {{ $modelUri | quote }}
spec:
  securityContext:
    runAsNonRoot: true
    runAsUser: 1000
    seccompProfile:
      type: RuntimeDefault
  terminationGracePeriodSeconds: 30
  {{- if gt (int $v.resources.gpu) 0 }}
  tolerations:
    - key: nvidia.com/gpu
      operator: Exists
      effect: NoSchedule
  {{- end }}
  volumes:
    - name: model
      emptyDir: {}
  initContainers:
    - name: fetch-model
      image: {{ $v.image | quote }}
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
              name: modelship-registry
              key: token
              optional: true
      resources:
        requests:
          cpu: {{ $v.resources.cpu | quote }}
          memory: {{ $v.resources.memory | quote }}
        limits:
          memory: {{ $v.resources.memory | quote }}
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
      image: {{ $v.image | quote }}
      args:
        - serve
        - --model
        - {{ $modelUri | quote }}
        - --name
        - {{ $v.model.name | quote }}
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
      ports:
        - name: http
          containerPort: {{ $v.port }}
          protocol: TCP
      resources:
        requests:
          cpu: {{ $v.resources.cpu | quote }}
          memory: {{ $v.resources.memory | quote }}
          {{- if gt (int $v.resources.gpu) 0 }}
          nvidia.com/gpu: {{ $v.resources.gpu | quote }}
          {{- end }}
        limits:
          memory: {{ $v.resources.memory | quote }}
          {{- if gt (int $v.resources.gpu) 0 }}
          nvidia.com/gpu: {{ $v.resources.gpu | quote }}
          {{- end }}
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
  - type: Pods
    pods:
      metric:
        name: modelship_requests_per_second
      target:
        type: AverageValue
        averageValue: {{ $a.targetRequestsPerSecond | quote }}
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
